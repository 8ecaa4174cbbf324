"""``python -m medtutor`` runs the command line."""

import sys

from medtutor.cli import main

sys.exit(main())
