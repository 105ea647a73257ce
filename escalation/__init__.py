"""Human escalation: queue, handoff context, agent console and API, tickets, transfers."""
