from magpie.launch import main

raise SystemExit(main())
