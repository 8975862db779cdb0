"""Test doubles, named as such: what no real peer can be made to do on cue."""
