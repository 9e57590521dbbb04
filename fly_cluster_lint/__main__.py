import sys

from fly_cluster_lint.cli import main

sys.exit(main())
