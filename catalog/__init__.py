"""Sessions, resources and topics: the content the bot serves, and the files it comes from."""
