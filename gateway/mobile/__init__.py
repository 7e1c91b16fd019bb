"""The mobile home screen in one call: ``GET /api/v1/mobile/home``.

A signed-in person's phone wants their foundation's open campaigns, what is due, their
collaborations and the newest shared resources at once, over one slow connection. The
gateway asks the services for them concurrently, as the caller (the same identity token
the proxy forwards, so the services' tenancy rules decide what a partner sees), each part
within its own timeout; a part whose service is down, slow or failing is left empty and
named in ``degraded``, and the rest still comes back.
"""
