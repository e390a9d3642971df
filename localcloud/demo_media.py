"""Demo streams: `make run` leaves a few titles playable out of the box.

On a stack whose demo titles have no stream yet, short generated clips (test patterns with a
tone, one with English subtitles beside it, and the first two episodes of a demo series) are
uploaded to the uploads bucket with the
title they play for, exactly as an uploader would; the event runner's encoder publishes
them within a minute of start-up. The same clip content is linked, never encoded twice.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.catalogue.titles.models import FacetModel, TitleModel

ProgressFn = Callable[[int, int, str], None]


@dataclass(frozen=True)
class DemoClip:
    pattern: str  # an ffmpeg lavfi source
    size: str
    seconds: int
    tone_hz: int
    subtitles: bool = False


CLIPS = (
    DemoClip("testsrc2", "1280x720", 40, 440, subtitles=True),
    DemoClip("smptehdbars", "960x540", 30, 523),
    DemoClip("testsrc", "640x360", 30, 659),
)
SUBTITLES = """1
00:00:01,000 --> 00:00:06,000
Welcome to Notflix: this stream was encoded on your machine.

2
00:00:08,000 --> 00:00:14,000
Try the quality menu, the subtitles and the arrow keys.
"""


#: Films looked through for one a kids profile may watch (rated PG or under).
FAMILY_FILM_SEARCH = 300


def demo_titles(count: int) -> list[TitleModel]:
    """The most popular films of the demo catalogue, the last place going to the most
    popular family film (rated PG or under), so a kids profile has a film to play too."""
    from chalicelib.profiles import maturity

    ids = [f.id for f in FacetModel.query("type#film", limit=max(count, FAMILY_FILM_SEARCH))]
    titles = {t.id: t for t in TitleModel.batch_get(ids)} if ids else {}
    ranked = [titles[i] for i in ids if i in titles]
    family = next((t for t in ranked if maturity.allowed(
        maturity.level(t.maturity_rating), maturity.LEVELS["PG"])), None)
    if family is None or count < 2 or family in ranked[:count]:
        return ranked[:count]
    return [*ranked[:count - 1], family]


def make_clip(ffmpeg: str, clip: DemoClip, path: Path) -> Path:
    subprocess.run([
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"{clip.pattern}=size={clip.size}:rate=25:duration={clip.seconds}",
        "-f", "lavfi", "-i", f"sine=frequency={clip.tone_hz}:duration={clip.seconds}",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac",
        "-shortest", str(path)], check=True, timeout=300, stdin=subprocess.DEVNULL)
    return path


EPISODE_CLIPS = (DemoClip("testsrc2", "854x480", 20, 784),
                 DemoClip("rgbtestsrc", "854x480", 20, 880))


def demo_series_title() -> TitleModel | None:
    """The first generated demo series (its first episodes get streams)."""
    from chalicelib.catalogue.demo.titles import demo_series

    records = demo_series()
    if not records:
        return None
    try:
        return TitleModel.get(records[0].id)
    except TitleModel.DoesNotExist:
        return None


def upload_demo_streams(s3: Any, bucket: str, ffmpeg: str, report: ProgressFn) -> int:
    """Upload a clip for each demo title (and episode) without a stream; how many were sent."""
    todo: list[tuple[TitleModel, DemoClip, str | None]] = [
        (t, c, None) for t, c in zip(demo_titles(len(CLIPS)), CLIPS, strict=False)
        if t.asset is None]
    series = demo_series_title()
    if series is not None and series.asset is None:
        todo += [(series, c, f"S1E{n}") for n, c in enumerate(EPISODE_CLIPS, 1)]
    if not todo:
        report(1, 1, "demo streams already playable")
        return 0
    with tempfile.TemporaryDirectory(prefix="notflix-demo-") as tmp:
        for n, (title, clip, episode) in enumerate(todo, 1):
            stem = f"uploads/demo/{title.id}" + (f"-{episode}" if episode else "")
            if clip.subtitles:  # beside the video, and before it, as the encoder expects
                s3.put_object(Bucket=bucket, Key=f"{stem}.en.srt", Body=SUBTITLES.encode(),
                              ContentType="application/x-subrip")
            path = make_clip(ffmpeg, clip, Path(tmp) / f"{n}.mp4")
            metadata = {"title-id": title.id, **({"episode": episode} if episode else {})}
            s3.upload_file(str(path), bucket, f"{stem}.mp4",
                           ExtraArgs={"Metadata": metadata, "ContentType": "video/mp4"})
            label = f"{title.name} {episode}" if episode else title.name
            report(n, len(todo), f"demo stream for {label} uploaded")
    return len(todo)
