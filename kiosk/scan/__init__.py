"""Turning what a camera sees, or what a USB scanner types, into badge scans.

Qt-free except :mod:`.worker` (the capture/decode thread) and :mod:`.wedge` (the keyboard
event filter). Importing this package is cheap; import the submodules you need:
:mod:`.sources`, :mod:`.synthetic`, :mod:`.decoder`, :mod:`.verdict`, :mod:`.burst`.
"""
