"""Sigma rule support for plaso-netsupport.

engine.SigmaEngine loads Sigma rules (ours in plaso_netsupport/rules and any
examiner directories) and evaluates them on plaso windows:evtx:record event
data; plaso_netsupport.evtx.EvtxFields maps such event data to Sigma field names.
See docs/sigma.md.
"""
