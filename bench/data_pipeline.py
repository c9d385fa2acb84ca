"""How fast is the data pipeline? Images per second of iterating `dls.train` over the MNIST PNG files (first epoch:
decoding and filling the cache; later epochs: from the cache) beside a plain loop over the same images held in memory
as one uint8 tensor, doing the same work (shuffle, gather, to device, bytes to floats, normalise).

    python bench/data_pipeline.py [--epochs 3] [--bs 64] [--n 60000] [--device cpu] [--no-cache] [--threads 1] [--cnn]

Goal (issue 5): a later epoch from PNG files takes at most 1.3x the in-memory loop.
With `--cnn`, also one training epoch of the book's chapter-13 CNN (`simple_cnn`, plain SGD steps) fed by a later
epoch of `dls.train` beside the same model fed by the in-memory loop: what the pipeline costs inside real training.
(`bench/mnist_cnn.py` times the whole `fit_one_cycle` against fastai.)
"""
import argparse, time, torch, torch.nn.functional as F
from learnlib.core import defaults
from learnlib.download import untar_data, URLs
from learnlib.datablock import DataBlock
from learnlib.blocks import ImageBlock, CategoryBlock
from learnlib.getters import GrandparentSplitter, get_image_files, parent_label
from learnlib.image import PILImageBW
from learnlib.transforms import Normalize, mnist_stats


def sync(device):
    if device.type == 'cuda': torch.cuda.synchronize()


def time_epoch(batches, device) -> tuple[float, int]:
    "Seconds and images for one pass over `batches` (an iterable of (x, y) on `device`)."
    sync(device); start, n = time.perf_counter(), 0
    for xb, yb in batches: n += len(xb)
    sync(device)
    return time.perf_counter() - start, n


def in_memory_epoch(x, y, bs, device, mean, std):
    "The plain loop a reader would write over tensors in memory, doing the pipeline's work."
    perm = torch.randperm(len(x))
    for i in range(0, len(x) - len(x) % bs, bs):
        idx = perm[i:i + bs]
        xb = x[idx].to(device, non_blocking=True).float().div_(255)
        yield (xb - mean) / std, y[idx].to(device, non_blocking=True)


def cli():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--epochs', type=int, default=4, help='dls.train epochs (the in-memory loop runs one fewer)')
    p.add_argument('--bs', type=int, default=64)
    p.add_argument('--n', type=int, default=0, help='use only the first N training files (0: all 60,000)')
    p.add_argument('--device', default=None)
    p.add_argument('--no-cache', action='store_true', help='read every file every epoch')
    p.add_argument('--threads', type=int, default=0, help='torch threads (0: leave as is)')
    p.add_argument('--cnn', action='store_true', help="also time a training epoch of the chapter-13 CNN")
    args = p.parse_args()
    measure(args.epochs, args.bs, args.n, args.device, not args.no_cache, args.threads, args.cnn)


def main(quick: bool = False) -> list[dict]:
    "bench/run.py's convention: images/s of `dls.train` (first and best later epoch) beside the in-memory loop."
    return measure(epochs=3 if quick else 4, n=12000 if quick else 0, threads=1)


def measure(epochs: int = 4, bs: int = 64, n: int = 0, device: str | None = None, cache: bool = True,
            threads: int = 0, cnn: bool = False) -> list[dict]:
    "Print the table and return its rows (one per epoch timed)."
    from types import SimpleNamespace
    args = SimpleNamespace(epochs=epochs, bs=bs, n=n, no_cache=not cache, threads=threads, cnn=cnn)
    if args.threads: torch.set_num_threads(args.threads)
    device = torch.device(device or defaults.device)

    path = untar_data(URLs.MNIST)
    get_items = (lambda p: get_image_files(p)[::max(1, 60000 // args.n)]) if args.n else get_image_files
    block = DataBlock(blocks=(ImageBlock(cls=PILImageBW), CategoryBlock), get_items=get_items,
                      splitter=GrandparentSplitter('training', 'testing'), get_y=parent_label,
                      batch_tfms=Normalize.from_stats(*mnist_stats))
    start = time.perf_counter()
    dls = block.dataloaders(path, bs=args.bs, device=device, cache=not args.no_cache)
    setup_s = time.perf_counter() - start
    n_train = len(dls.train_ds)
    print(f"MNIST PNGs: {n_train} training images, bs={args.bs}, device={device}, cache={dls.train_ds.cache}, "
          f"workers={dls.train.num_workers}, torch threads={torch.get_num_threads()}")
    print(f"building the DataLoaders (listing files, labels, split): {setup_s:.2f}s")

    # epoch 1 decodes the PNGs (and fills the cache); later epochs alternate with the in-memory loop, so that a
    # busy machine slows both alike, and each side's best epoch is compared
    secs, n = time_epoch(dls.train, device)
    rows = [("dls.train epoch 1", secs, n)]
    ds = dls.train_ds   # the same images as one uint8 tensor in memory (the cache's, or read once, untimed)
    x = ds._stacked[0] if ds._stacked is not None else torch.stack([ds.load(i)[0] for i in range(len(ds))])
    y = ds.targets[0]
    mean, std = [torch.tensor(s).view(1, -1, 1, 1).to(device) for s in mnist_stats]
    later, memory = [], []
    for epoch in range(2, args.epochs + 1):
        secs, n = time_epoch(dls.train, device)
        later.append(secs); rows.append((f"dls.train epoch {epoch}", secs, n))
        secs, n = time_epoch(in_memory_epoch(x, y, args.bs, device, mean, std), device)
        memory.append(secs); rows.append((f"in-memory loop, run {epoch - 1}", secs, n))

    best_memory = min(memory) if memory else float('nan')
    print(f"\n{'':28s} {'seconds':>8s} {'images/s':>10s} {'x in-memory':>12s}")
    for name, secs, n in rows:
        print(f"{name:28s} {secs:8.3f} {n / secs:10.0f} {secs / best_memory:12.2f}")
    if later:
        ratio = min(later) / best_memory
        print(f"\nlater epoch / in-memory loop (best of {len(later)} each): {ratio:.2f}x  "
              f"(goal <= 1.3x: {'met' if ratio <= 1.3 else 'NOT met'})")
        print(f"first epoch / in-memory loop: {rows[0][1] / best_memory:.1f}x")
    if args.cnn: cnn_epochs(dls, x, y, args.bs, device, mean, std)
    return [{'what': name, 'images': n_images, 'seconds': round(secs, 3), 'images/s': round(n_images / secs),
             'x in-memory (best)': round(secs / best_memory, 2)} for name, secs, n_images in rows]


def train_epoch(model, opt, batches, device) -> tuple[float, int]:
    "Seconds and images for one training epoch of `model` on `batches`."
    sync(device); start, n = time.perf_counter(), 0
    for xb, yb in batches:
        loss = F.cross_entropy(model(xb), yb)
        loss.backward(); opt.step(); opt.zero_grad()
        n += len(xb)
    sync(device)
    return time.perf_counter() - start, n


def cnn_epochs(dls, x, y, bs, device, mean, std):
    "One epoch of the chapter-13 CNN fed by `dls.train` (cached), one fed by the in-memory loop; same model and steps."
    from learnlib.models import simple_cnn
    results = {}
    for run in range(2):   # alternate, keep each side's best
        for name, batches in (('dls.train', lambda: dls.train), ('in-memory', lambda: in_memory_epoch(x, y, bs, device, mean, std))):
            torch.manual_seed(0)
            model = simple_cnn(10).to(device)
            opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
            secs, n = train_epoch(model, opt, batches(), device)
            if name not in results or secs < results[name][0]: results[name] = (secs, n)
    print(f"\nchapter-13 CNN, one training epoch (best of 2 each):")
    for name, (secs, n) in results.items(): print(f"  fed by {name:10s} {secs:8.2f}s {n / secs:9.0f} images/s")
    print(f"  dls.train / in-memory: {results['dls.train'][0] / results['in-memory'][0]:.2f}x")


if __name__ == '__main__':
    cli()
