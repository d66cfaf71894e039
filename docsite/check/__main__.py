import sys

from docsite.check.cli import main

sys.exit(main())
