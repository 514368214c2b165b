from stockmon.cli import main

raise SystemExit(main())
