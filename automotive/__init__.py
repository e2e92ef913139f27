"""The automotive domain: prompts and car knowledge. Nothing here imports Flask."""
