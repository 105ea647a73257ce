"""Channel adapters: each turns one wire protocol into call events and back.

Each registers itself on the application with `add_routes(app, start_call)`: its routes (and
listener), and its transfer table when a transfer is the far end's job."""
