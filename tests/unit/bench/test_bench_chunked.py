"""The chunked encoding benchmark's own arithmetic (bench/encode_chunked.py), without ffmpeg:
the process-tree CPU, framemd5 and psnr parsing, the seam windows, assembling a made-up
two-hour title, and the film projection."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench import encode_chunked as ec
from bench.encode import Timing
from encoder_lambda.assemble import assemble
from encoder_lambda.media.mpd import parse
from encoder_lambda.media.packaging import Segment, Track
from encoder_lambda.media.probe import SourceInfo
from encoder_lambda.tasks import Task


def test_proc_stat_reads_the_parent_and_the_cpu_of_a_process_and_its_reaped_children() -> None:
    # comm may hold spaces and parentheses; fields after it: state ppid ... utime stime cutime
    text = "42 (ffmpeg (x) y) S 7 42 42 0 -1 4194304 1 2 3 4 100 20 5 1 20 0 1 0 9 0 0"
    assert ec.proc_stat(text) == (7, 126)


def test_tree_ticks_adds_the_root_and_every_descendant_only() -> None:
    stats = {10: (1, 5), 11: (10, 7), 12: (11, 100), 13: (1, 1000), 14: (13, 3)}
    assert ec.tree_ticks(stats, 10) == 112
    assert ec.tree_ticks(stats, 99) is None


FRAMEMD5 = """#format: frame checksums
#version: 2
#hash: MD5
#tb 0: 1/15360
#media_type 0: video
#stream#, dts,        pts, duration,     size, hash
0,       -1024,          0,      512,    12345, 0123
0,        -512,       1536,      512,      100, 4567
0,           0,        512,      512,      100, 89ab
0,         512,       1024,      512,      100, cdef
0,        1024,       2560,      512,      100, 0000
"""


def test_framemd5_packets_and_a_one_frame_gap_between_them() -> None:
    packets = ec.parse_framemd5(FRAMEMD5)
    assert len(packets.pts) == 5
    frame = 512 / 15360
    assert packets.steps_s == pytest.approx([frame, frame, frame, 2 * frame])
    assert ec.worst_step_error_s(packets.steps_s, frame) == pytest.approx(frame)
    assert ec.worst_step_error_s(packets.steps_s[:3], frame) == pytest.approx(0)


def test_psnr_of_the_mean_mse_as_ffmpeg_averages_it() -> None:
    stats = ("n:1 mse_avg:2.00 mse_y:2.50 mse_u:1.00 mse_v:1.00 psnr_avg:45.1 psnr_y:44.1\n"
             "n:2 mse_avg:4.00 mse_y:5.00 mse_u:2.00 mse_v:2.00 psnr_avg:42.1 psnr_y:41.1\n")
    mse = ec.parse_psnr_stats(stats)
    assert mse == [2.0, 4.0]
    assert ec.psnr_db(mse) == pytest.approx(10 * math.log10(255 ** 2 / 3.0))
    assert ec.psnr_db([0.0]) == ec.PSNR_CAP_DB
    assert ec.window_psnr(mse, [1, 7]) == pytest.approx(10 * math.log10(255 ** 2 / 4.0))


def test_seam_windows_are_a_second_either_side_of_each_chunk_s_first_frame() -> None:
    windows = ec.seam_frames([0.0, 8.0, 16.0, 24.0], 30.0, 30 * 26)
    assert windows == [range(210, 270), range(450, 510), range(690, 750)]
    # at 29.97 fps the chunk from 8 s starts with frame 240 (8.008 s)
    assert ec.seam_frames([0.0, 8.0], 30000 / 1001, 400) == [range(210, 270)]
    assert ec.seam_frames([0.0], 30.0, 100) == []


def _rung(ident: str, width: int, height: int) -> Track:
    return Track(id=ident, kind="video", codecs="avc1.64001f", bandwidth=1_000_000,
                 timescale=15360, segments=(Segment(0, 61440),), width=width, height=height,
                 frame_rate="30", sar="1:1")


def test_a_made_up_two_hour_title_assembles_with_every_segment_named(tmp_path: Path) -> None:
    rungs = [_rung("0", 1920, 1080), _rung("1", 1280, 720)]
    audio = Track(id="a0", kind="audio", codecs="mp4a.40.2", bandwidth=128_000,
                  timescale=48000, segments=(Segment(0, 192000),), channels=2,
                  sample_rate=48000, default=True)
    results = ec.film_results(rungs, audio, 7200, 60)
    assert sum(r["kind"] == "chunk" for r in results.values()) == 120
    last = results["chunk-0119"]
    assert (last["start_s"], last["first_number"]) == (7140.0, 1786)
    assert last["tracks"][0]["segments"][0] == [7140 * 15360, 61440]
    stored = ec.stored_names(results)
    assert {"init-0.m4s", "chunk-0-01800.m4s", "chunk-1-01800.m4s", "chunk-a0-01800.m4s"} \
        <= stored
    assert "chunk-0-01801.m4s" not in stored
    results = {**results, "text": {"kind": "text", "tracks": []}}
    info = SourceInfo(duration_s=7200, width=1920, height=1080, fps=30.0, video_codec="h264",
                      audio_codec="aac")
    made = assemble(results, {"tasks": sorted(results), "segment_seconds": 4}, info, [],
                    tmp_path / "out", stored)
    assert made.duration_s == 7200
    assert set(parse((made.folder / "manifest.mpd").read_bytes()).files()) == stored


def test_even_segments_end_with_a_shorter_one() -> None:
    assert ec.even_segments(10, 1000, start_s=8) == (
        Segment(8000, 4000), Segment(12000, 4000), Segment(16000, 2000))


def _round(chunk_s: float, chunk_len: float, audio_s: float) -> ec.Round:
    pipeline = ec.PipelineRun(wall_s=100, put_s=1, cpu_s=190, idle_cores=0.01, machine=None,
                              stages={"event": 0.5, "plan": 2.0, "encode": 90,
                                      "assemble": 3.0},
                              asset_id="a", chunks=10, source_key="processed/x.mp4")
    task = Task("chunk", "j", "chunk-0000", "a", start_s=0, end_s=chunk_len)
    critical = ec.CriticalPath([ec.ChunkRun(task, Timing(chunk_s, 2 * chunk_s), Path("."))],
                               Timing(audio_s, audio_s), hash_mb_s=400.0,
                               assemble_local_s=1.0, assemble_film_s=4.0)
    return ec.Round(pipeline, Timing(200, 180), critical)


def test_the_film_projection_scales_each_part_as_documented(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    one = _round(chunk_s=10.0, chunk_len=8.0, audio_s=5.0)
    scale = 2 / (3008 / 1769)
    projected = ec.project_film(one, seconds=600, source_bytes=int(1e9))
    assert projected.plan_s == pytest.approx(2.0 + 15e9 / 400e6)
    assert projected.chunk_s == pytest.approx(10.0 * 60 / 8 * scale)
    assert projected.audio_s == pytest.approx(5.0 * 12 * scale)
    # assemble(): 4 s for 120 chunks, plus the S3 part (3 - 1 s for 10 chunks) x 12
    assert projected.assemble_s == pytest.approx(4.0 + 2.0 * 12)
    assert projected.total_s == pytest.approx(
        0.5 + projected.plan_s + max(projected.chunk_s, projected.audio_s) + 28.0)
    assert one.critical_s == pytest.approx(2.0 + 10.0 + 3.0)
    assert one.cpu_ratio == pytest.approx(190 / 180)


def test_the_report_prints_every_section(capsys: pytest.CaptureFixture[str]) -> None:
    seams = ec.Seams(frame_s=1 / 30, source_frames=900, chunked_frames=900, single_frames=900,
                     mpd_gap_s=0.0, pts_gap_s=0.0, av_end_s=0.016,
                     seam_starts=[0.0, 8.0, 16.0], psnr_whole=(42.9, 42.92),
                     psnr_seams=(42.9, 43.0), per_seam=[(43.0, 43.1), (42.8, 43.0)])
    rounds = [_round(10.0, 8.0, 5.0), _round(12.0, 8.0, 5.0)]
    ec.report(rounds, seams, seconds=30, source_bytes=60_000_000, chunk_len=8)
    out = capsys.readouterr().out
    assert "(1) chunked CPU / bare CPU: 1.056 (goal <= 1.15: met)" in out
    assert "of which chunking itself" in out
    assert "(2) critical path / bare wall: 0.080" in out  # median of 0.075 and 0.085
    assert "upload -> playable" in out
    assert "worst seam, -0.20 dB at 16 s): met" in out
