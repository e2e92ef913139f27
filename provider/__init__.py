"""What the chat turn needs of a model provider, one concern a module.

``base`` (the ChatProvider interface), ``errors``, ``types`` (results and catalog entries),
``retry`` (the policy), ``wire`` (request payloads, non-streamed bodies) and ``stream`` (SSE
replies). ``openrouter.OpenRouterClient`` implements the interface over HTTP.
"""
