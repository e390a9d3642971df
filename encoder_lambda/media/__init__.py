"""Media core of the encoder: probe an upload, choose a ladder, encode it to DASH + HLS.

One module per job:

- ``binaries``: find ffmpeg/ffprobe (``NOTFLIX_FFMPEG``, PATH, then the imageio-ffmpeg wheel).
- ``probe``: what the source is (:class:`~encoder_lambda.media.probe.SourceInfo`), or why it
  cannot be used (:class:`~encoder_lambda.media.probe.InvalidSource`).
- ``ladder``: the renditions to encode, never upscaled, by the source's short side.
- ``encode``: ONE ffmpeg process for the whole ladder to DASH (+ HLS over the same fMP4
  segments), with progress, cancellation and a timeout.
- ``thumbnails``: the poster and the thumbnail sprite with its WebVTT track.
- ``subtitles``: uploaded ``.srt``/``.vtt`` to WebVTT, embedded subtitle streams to WebVTT.
- ``mpd``: every file a DASH manifest references, to check that a package is complete.
"""
