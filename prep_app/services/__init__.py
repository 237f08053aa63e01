"""Rules that change data. Services add to the session and flush; the request commits once."""
