"""``python -m memtables`` runs the command line, like the ``memtables`` script."""

from memtables.repl.main import main

raise SystemExit(main())
