"""Matchmaking events on the matching side: whom each participant should meet
(``counterparts``) and the meeting schedule that fits everyone's slots
(``scheduling``)."""
