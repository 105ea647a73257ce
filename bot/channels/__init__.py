"""Channel adapters: each turns one wire protocol into call events and back."""
