"""My List: the titles a viewer keeps to watch later, newest first."""
