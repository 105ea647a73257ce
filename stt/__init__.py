"""Audio formats, voice activity detection and endpointing, streaming speech recognition."""
