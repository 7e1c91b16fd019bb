"""People: accounts that sign in with a password (mobile front-ends, staff, partners).

A person signs in (``POST /api/v1/auth/login``) and gets a short-lived access token (a
JWT the gateway signs, bound to its audience) and a refresh token. The access token is
sent as ``Authorization: Bearer <jwt>`` like an API key, and the gateway turns it into the
same forwarded identity a key gives. A refresh token is used once: refreshing hands out a
new pair, and presenting an already used refresh token again revokes its whole session
(its *family*), so a stolen token stops working for thief and owner alike.

A person holds a role in each organisation they belong to (``roles.Role``), which maps to
scopes. Organisations' admins invite people; ``fnet users create`` makes the first admin.
"""
