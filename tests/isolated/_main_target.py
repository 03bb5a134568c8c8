# Run by main_script.py through `python -m fasthub`; prints what the program sees.
import json
import os
import sys
import threading

import fasthub
from fasthub import patcher

print(json.dumps({
    "name": __name__,
    "argv": sys.argv,
    "path0": sys.path[0],
    "patched_thread": patcher.is_monkey_patched("thread"),
    "patched_socket": patcher.is_monkey_patched("socket"),
    "green_lock": type(threading.Lock()) is not patcher.get_original("_thread", "LockType"),
    "main_module_is_me": sys.modules["__main__"].__dict__ is globals(),
    "cwd": os.getcwd(),
}))
sys.stdout.flush()
if "--exit-3" in sys.argv:
    sys.exit(3)
fasthub.sleep(0)
