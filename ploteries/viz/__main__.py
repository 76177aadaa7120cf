import sys

from ploteries.commands.serve import main

sys.exit(main())
