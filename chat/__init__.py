"""The chat turn, one module per step, in the order a turn runs.

``intake`` validates the message and saves it first (idempotent on ``client_msg_id``)
-> ``context`` gathers the history window, the context budget, the vehicle and the
facts -> ``ask`` (one whole answer) or ``stream`` (the answer as it arrives, Stop),
both through ``tool_rounds`` -> ``record`` stores the reply, the failure or the
partial text. ``failures`` is the one table of failure kinds: HTTP status and the
sentence a visitor reads. ``turn`` holds the shapes passed from step to step.

Nothing here imports ``views``; a later step never calls back into an earlier one.
"""
