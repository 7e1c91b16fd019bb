"""Offers of surplus supplies and requests for them: shared resources of kind ``offer`` or
``request`` with what, how much, where and until when; suggested matches; claims."""
