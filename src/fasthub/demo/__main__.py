import sys

from fasthub.demo.chat import main

sys.exit(main())
