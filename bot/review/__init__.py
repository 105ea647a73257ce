"""Learning from real calls: the turns the bot misunderstood, grouped, with their audio; what
designers teach from them; the candidate models they ship (docs/review.md)."""
