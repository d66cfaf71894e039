import sys

from docsite.check.browser import main

sys.exit(main())
