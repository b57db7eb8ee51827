"""The kiosk's flows, each in its own small module and each a plain QObject on the GUI
thread: enrolment (the screen until the terminal is enrolled), scan routing (every scan to
the recorder, every answer to the window) and the staged shutdown. ``kiosk.app`` only
wires them to the services and the window."""
