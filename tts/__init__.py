"""Speech synthesis: voices, normalisation for the ear, cache, output formats, playback."""
