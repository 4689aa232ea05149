#!/usr/bin/env python3
"""A QMP client for the tests (monitor/qmp.c): connect, read the greeting,
negotiate, run commands, print every line received.

  qmp.py SOCKET [--no-negotiate] [COMMAND [JSON-ARGUMENTS]] ... [--raw LINE] ...
         [--when FILE TEXT] ...

The socket is retried for up to 60 s (the monitor may still be starting).
A COMMAND is sent as {"execute": COMMAND, "arguments": JSON}; --raw LINE
sends LINE as it is; --when FILE TEXT waits (up to 300 s) until TEXT is in
FILE before going on, so that a command follows a guest's output closely.  Exit status 0 if every reply arrived, 1 if the
connection failed or closed early."""
import json, socket, sys, time

def main():
    args = sys.argv[1:]
    path = args.pop(0)
    s = None
    for _ in range(600):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            break
        except OSError:
            s = None
            time.sleep(0.1)
    if s is None:
        print("qmp.py: cannot connect to " + path)
        return 1
    f = s.makefile("rw")
    def line():
        r = f.readline()
        if not r:
            raise EOFError
        print(r.rstrip("\n"))
    def send(text):
        f.write(text + "\n")
        f.flush()
        line()
    try:
        line()                              # the greeting
        if args and args[0] == "--no-negotiate":
            args.pop(0)
        else:
            send('{"execute": "qmp_capabilities"}')
        while args:
            a = args.pop(0)
            if a == "--when":
                name, text = args.pop(0), args.pop(0)
                for _ in range(30000):
                    try:
                        if text in open(name, errors="replace").read():
                            break
                    except OSError:
                        pass
                    time.sleep(0.01)
                continue
            if a == "--raw":
                send(args.pop(0))
                continue
            cmd = {"execute": a}
            if args and args[0].startswith("{"):
                cmd["arguments"] = json.loads(args.pop(0))
            send(json.dumps(cmd))
    except (EOFError, OSError):
        print("qmp.py: the connection closed")
        return 1
    return 0

sys.exit(main())
