"""Several bot machines: an agent on any machine talks to a caller held by another.

Each machine advertises its address (`cluster.advertise_url`) in the shared escalation store
with its heartbeat; the machine serving the agent's console opens a WebSocket straight to
the machine holding the call and relays the agent's audio over it (remote_leg.py), signed
with the secret every machine shares (peer_auth.py); the holding machine bridges it to the
caller as if the agent were local (peer_routes.py).
"""
