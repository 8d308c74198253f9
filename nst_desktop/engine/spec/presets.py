"""Named parameter sets. No torch import here: the GUI reads this at start-up.

Why the defaults in params.py are what they are (measured on the 2-core AMD Zen 4 dev
machine, shared with other jobs, Tübingen + The Starry Night, L-BFGS, bf16 convolutions):

* Seconds per step (one forward to relu5_1 + backward, min over steps): 256 px 0.38 s
  float32 / 0.24 s bfloat16; 384 px 0.89 / ~0.53; 512 px ~1.55 / 1.0. bfloat16 (weights
  cast once, channels_last) is ~1.6x faster. Its result "looks the same": the fp32 loss of
  the bf16 result is within 1% of the fp32 run's, and the pixel difference between the two
  (mean 0.061) is the same size as between two fp32 runs whose photos differ by invisible
  +-0.5/255 noise (mean 0.051): L-BFGS trajectories are chaotic, the look is not. So
  precision="auto" uses bfloat16 on CPUs with AVX512-BF16/AMX (devices.py).
* Coarse-to-fine 128 -> 512 px in sqrt(2) steps. Final-scale loss curves at 256 px (after
  the coarse scales) were the same whether the coarse scales ran 100 or 50 steps (0.878
  vs 0.876 after 100 final steps), so 50 coarse steps buy the structure at half the cost.
* Final-scale steps: the loss falls 94% of the way (to its 300-step value) in 50 steps,
  97% in 100, 99% in 200; 120 is past the knee. A default 512 px run is then about
  120 + 50 * (1/16 + 1/8 + 1/4 + 1/2) = 167 step-equivalents, ~2.8 min on this CPU.
* L-BFGS history 30 instead of torch's 100: after 300 steps the loss differs by 0.4%
  (history 20 vs 100 measured), while the history costs 2 * m * 12 bytes per pixel
  (100 -> 470 MB at 512 px, 1.9 GB at 1024 px; 30 -> 140 MB / 570 MB).
  One evaluation per step and no line search (not measured: reasoned). A strong-Wolfe
  search costs 1-3 extra VGG passes per step; with unit steps already accepted by L-BFGS
  on this well-scaled problem we expect it to cost more than the steps it saves.
* Weights of 1 (content, TV): the size_invariant gains in losses.py were set so that
  these give the classic Gatys look; TV at 1 removes high-frequency VGG noise without
  blurring edges (L1 TV). Since issue 20.1 the TV has a squared part (terms.py says why):
  judged at 512 px beside neural-style's published pictures, the L1 TV alone left a stipple
  of one-pixel dots (39 per 1000 px on Tübingen x Starry Night, neural-style's 9); with it 15,
  the strokes kept. The TV weight itself was not the cause: x4 took a tenth of the dots off
  and flattened the strokes (benchmarks/RESULTS.md, "Stipple").
* The look (issue 9.1: judged beside jcjohnson/neural-style, ours kept the photo too
  strongly, left dark and flat areas photographic, and painted small, timid strokes). Until
  then style 1, equal style layer weights, start from the photo. Tried at 256 px (the
  default schedule 128 -> 256 px, 50 + 50 + 120 steps; benchmarks/quality_sheets.py,
  docs/quality/README.md), side by side with the old default:
  A style 4, style layer weights 0.5 / 0.75 / 1 / 1.5 / 1.5 (relu1_1 .. relu5_1);
  B A + start noise 0.5 (init_noise: half the first scale's start image is uniform noise);
  C B with style 8 and TV 2.
  B paints the whole frame: Starry Night's big swirls and star blobs fill Tübingen's sky
  and its dark river and trees, where the old default left small ripples over the photo,
  and the facades stay readable. C dissolves the houses and the tower into swirls (the
  subject is lost). So B: style 4 pulls harder, the deeper layers (relu4_1, relu5_1: 8x and
  16x the pixel stride) carry bigger strokes and shapes, and the noise gives flat and dark
  areas texture to grow from (from the photo alone their gradient is small: the content
  loss holds them). The noise is mixed in once, at the first (coarsest) scale: larger
  scales start from the painting so far. Golden Gate + The Scream under B: the tower and
  the cables stay readable, the sky is the painting's orange bands, the water its dark
  swirls. TV stays 1: B showed no grain over flat areas (looked at at 2x), and C's TV 2
  could not be told apart from its stronger style. C was not painted for Golden Gate.
  Times on 2 busy cores (load ~7): B 303 s and 353 s, the old default 394 s and 632 s:
  the same schedule and cost per step, so the same time up to the load. Against classic at
  256 px: 472 s against 3202 s (20 of its steps timed, x 1000), 0.15 of its time; unloaded
  per-step figures above give ~0.1 at 256 and 512 px (benchmarks/RESULTS.md).
* Second round (the contact sheets with all four public styles, docs/quality/README.md): B
  copied motifs of the painting: a ghost of Matisse's face in Tübingen's river and the Golden
  Gate's water, two of Escher's reflecting spheres over each photo. Lowering the deep layers
  (equal weights, relu5_1 at 0.5 or 0.25) and style 6 did not stop it; leaving relu5_1 out
  did. Why: under the size_invariant normalisation every layer's term is O(1), and at the photo
  relu5_1 carries 57 % of the style gradient (92 % at classic's finished picture) against
  ~0 % under neural-style's normalisation, where relu4_1 carries 95-99 % (measured on Tübingen
  + Woman with a Hat). relu5_1 sees 16x-stride features with a receptive field of a large part
  of a 128 px coarse scale, i.e. whole objects: matching their correlations paints the
  painting's objects. So the default's style layers are relu1_1 .. relu4_1 (weights 0.5 /
  0.75 / 1 / 1.5) with style 8 (style 4 without relu5_1 was a little timid; 16 looked the same
  as 8). No motif copies on any of the six styles, the subject stays readable, Starry Night's
  swirls and the Scream's bands stay, and a step is ~20 % cheaper (relu4_2, the content layer,
  is now the deepest one computed): 15-16 s against 19 s at 256 px.
"""

from __future__ import annotations

from nst_desktop.engine.spec.params import DEFAULTS, Params

PASTICHE = Params(
    # pastiche 1.6.0's defaults, for benchmarks that compare equal objectives:
    # its layers and formulas (loss_normalisation="pastiche" applies its 0.01 content
    # and 10/C^2 style layer factors; style weights 1/N come from the blend weights),
    # no TV, L-BFGS with lr 1, history 100, one evaluation per step, no line search,
    # 1000 steps at its size, max pooling, start from the content image. pastiche's
    # default size is 500^2 pixels, i.e. 577x433 for a 4:3 photo: long side 577.
    # What differs: pastiche runs one scale; ours first runs 100 steps at half the size (the
    # same formulas, the style resized to that size) and starts the full size from that
    # picture. The full size's objective is pastiche's, and its final score is reached 1.3-1.7x
    # sooner: in the race (benchmarks/RESULTS.md, 144 px from 72 px, 4 pairs, 1 thread, quiet)
    # in 0.15-0.18 of pastiche's time in bfloat16 (one scale: 0.21-0.30) and 0.23-0.29 in
    # float32 (one scale: 0.29-0.47); at 256 px against pastiche's 500 steps (the race)
    # 0.05-0.11 in bfloat16 and 0.09-0.19 in float32. The coarse steps settle the big shapes at a quarter of
    # the cost per step; the final scale then needs 42-76 steps instead of 131-195. A third of
    # the size was 5-10 % faster on two pairs, 50-60 or 150 coarse steps slower.
    size=577,
    min_size=289,
    scale_ratio=2.0,
    coarse_steps=100,
    steps=1000,
    content_weight=1.0,
    style_weight=1.0,
    tv_weight=0.0,
    style_scale=1.0,
    content_layers=("relu4_2",),
    content_layer_weights=(1.0,),
    style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
    style_layer_weights=(1.0, 1.0, 1.0, 1.0, 1.0),
    loss_normalisation="pastiche",
    init="content",
    init_noise=0.0,
    optimizer="lbfgs",
    lbfgs_history=100,
    pooling="max",
    precision="float32",
)

CLASSIC = Params(
    # jcjohnson/neural-style's defaults (neural_style.lua's cmd:option lines), term by term:
    # -image_size 512 at one scale (no coarse-to-fine), -num_iterations 1000 of L-BFGS
    # (optim.lbfgs, maxIter 1000, no line search; -lbfgs_num_correction 0 means optim's
    # nCorrection 100), -content_weight 5, -style_weight 100, -tv_weight 1e-3, its layers with
    # one strength for all, -pooling max, -style_scale 1, -original_colors 0, float32 (Torch7's
    # FloatTensor), and loss_normalisation="classic": its ContentLoss, Gram / (C*H*W) StyleLoss
    # and squared TVLoss (losses.py says how they map onto our 0..1 image).
    # -learning_rate 1e1 is Adam's only, in 0..255 units: 10 / 255 in ours.
    # What differs, and why:
    # * -init random is torch.randn(...):mul(0.001) in Caffe units, i.e. after adding the
    #   mean back a flat image of the Caffe mean colour (RGB 0.485, 0.458, 0.408) with noise
    #   of 0.001/256 of the range, invisible. Ours, init="noise", is uniform 0..1 noise (std
    #   0.29 of the range) that L-BFGS has to paint over; it draws from our seed. No option for
    #   the flat start was added: it would be one more "Start from" choice for one preset, and
    #   a user who wants it can start from a flat image file (init="image").
    # * Sizes: neural-style gives the style image the long side 512 * style_scale; ours gives
    #   it the output's area (inputs.style_hw), the same for a 4:3 style and a 4:3 photo, up
    #   to 1.1x bigger strokes for a wide style such as Starry Night's 1024x640.
    # * Our L-BFGS is torch's (its first step is min(1, 1/|g|_1) in our 0..1 units, 255x the
    #   size of optim's in 0..255 units; later steps do not depend on the units) and keeps
    #   the pixels in 0..1 (a projected step, issue 9.0); neural-style's pixels are free and
    #   clamped only when saved. Its preprocess multiplies by 256, ours by 255 (losses.py).
    size=512,
    min_size=512,
    coarse_steps=0,
    steps=1000,
    content_weight=5.0,
    style_weight=100.0,
    tv_weight=1e-3,
    style_scale=1.0,
    colour="style",
    content_layers=("relu4_2",),
    content_layer_weights=(1.0,),
    style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
    style_layer_weights=(1.0, 1.0, 1.0, 1.0, 1.0),
    loss_normalisation="classic",
    style_loss="gram",
    content_loss="features",
    init="noise",
    init_noise=0.0,
    optimizer="lbfgs",
    lbfgs_history=100,
    learning_rate=10.0 / 255.0,
    pooling="max",
    precision="float32",
)

PRESETS: dict[str, Params] = {
    "balanced": DEFAULTS,
    # ~45 s: a quick look at composition and colours.
    "draft": DEFAULTS.with_changes(size=384, steps=60, coarse_steps=30),
    # ~10 min: print-ready detail; more history pays off over more steps.
    "fine": DEFAULTS.with_changes(size=768, steps=200, coarse_steps=60, lbfgs_history=50),
    # The balanced look with the structure content term (engine.losses.self_similarity): a face is
    # painted in the style's strokes and planes, its likeness kept by which places look alike rather
    # than by the photo's features. Not the default: on the portrait sheets it trades some likeness
    # for paint, and landscapes gain little (docs/quality/README.md, issue 20.3).
    "portrait": DEFAULTS.with_changes(content_loss="structure"),
    "pastiche": PASTICHE,
    "classic": CLASSIC,
}


def preset_names() -> list[str]:
    """Preset names in display order."""
    return list(PRESETS)


#: Long side of a quick look and of a variation (issue: the tweak loop). A 256 px look,
#: coarse-to-fine from 128 px, shows composition, palette and stroke size; the detail a
#: print needs comes from promoting it (stylize's ``start_from``), which keeps it.
QUICK_LOOK_SIZE = 256
VARIATION_SIZE = 192
QUICK_LOOK_MIN_SIZE = 128
#: Steps of a quick look. The loss falls ~94 % of the way in 50 final steps (see above);
#: 40 at the final scale and 25 at each coarse one keep a 256 px look within ~15 s on a
#: 2-core CPU. A promoted look keeps its scales and pays the full steps above them.
QUICK_LOOK_STEPS = 40
QUICK_LOOK_COARSE_STEPS = 25


def quick_look(params: Params, long_side: int = QUICK_LOOK_SIZE) -> Params:
    """``params`` as a small quick look: same look, ``long_side`` px, fewer steps."""
    long_side = min(long_side, params.size)
    return params.with_changes(
        size=long_side, min_size=min(QUICK_LOOK_MIN_SIZE, long_side),
        steps=min(params.steps, QUICK_LOOK_STEPS),
        coarse_steps=min(params.coarse_steps, QUICK_LOOK_COARSE_STEPS),
    )


#: The user's own choices of output and hardware that a preset never overrides.
KEPT_BY_PRESETS = ("seed", "device", "weights", "precision", "init_image")


def apply_preset(current: Params, name: str) -> Params:
    """The preset's look and schedule, keeping ``current``'s seed and hardware choices.

    The one way a preset is applied, by the window's preset menu and by the command line's
    ``--preset`` (also on top of ``--params FILE``): ``--params old.png --preset balanced``
    paints old.png's seed on old.png's device with the balanced look.
    """
    from nst_desktop.engine.spec.errors import ParamsError

    if name not in PRESETS:
        raise ParamsError(f"Unknown preset {name!r}; choose one of: {', '.join(PRESETS)}.")
    return PRESETS[name].with_changes(**{field: getattr(current, field) for field in KEPT_BY_PRESETS})


def matching_preset(params: Params) -> str | None:
    """The preset ``params`` equal once the kept fields are ignored, else None (custom)."""
    for name in PRESETS:
        if apply_preset(params, name) == params:
            return name
    return None
