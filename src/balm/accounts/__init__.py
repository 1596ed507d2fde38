"""Sites (pain services), users and their roles, participants and their personal links."""
