"""The web app's side: Streamlit resources, login, the shared snapshot, read models and
presentation. Only this package (and ``pages/``) imports Streamlit."""
