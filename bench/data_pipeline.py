"""How fast is the data pipeline? Images per second of iterating `dls.train` over the MNIST PNG files (first epoch:
decoding and filling the cache; later epochs: from the cache) beside a plain loop over the same images held in memory
as one uint8 tensor, doing the same work (shuffle, gather, to device, bytes to floats, normalise).

    python bench/data_pipeline.py [--epochs 3] [--bs 64] [--n 60000] [--device cpu] [--no-cache] [--threads 1]

Goal (issue 5): a later epoch from PNG files takes at most 1.3x the in-memory loop.
"""
import argparse, time, torch
from learnlib.core import defaults
from learnlib.datasets import untar_data, URLs
from learnlib.datablock import DataBlock, ImageBlock, CategoryBlock, GrandparentSplitter, get_image_files, parent_label
from learnlib.transforms import PILImageBW, Normalize, mnist_stats


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


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--bs', type=int, default=64)
    p.add_argument('--n', type=int, default=0, help='use only the first N training files (0: all 60,000)')
    p.add_argument('--device', default=None)
    p.add_argument('--no-cache', action='store_true', help='read every file every epoch')
    p.add_argument('--threads', type=int, default=0, help='torch threads (0: leave as is)')
    args = p.parse_args()
    if args.threads: torch.set_num_threads(args.threads)
    device = torch.device(args.device or defaults.device)

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

    rows = []
    for epoch in range(args.epochs):
        secs, n = time_epoch(dls.train, device)
        rows.append((f"dls.train epoch {epoch + 1}", secs, n))

    # the same images as one tensor in memory (from the cache when there is one, else read once, untimed)
    ds = dls.train_ds
    x = ds._stacked[0] if ds._stacked is not None else torch.stack([ds.load(i)[0] for i in range(len(ds))])
    y = ds.targets[0]
    mean, std = [torch.tensor(s).view(1, -1, 1, 1).to(device) for s in mnist_stats]
    memory = []
    for epoch in range(args.epochs):
        secs, n = time_epoch(in_memory_epoch(x, y, args.bs, device, mean, std), device)
        memory.append(secs); rows.append((f"in-memory loop epoch {epoch + 1}", secs, n))

    best_memory = min(memory)
    print(f"\n{'':28s} {'seconds':>8s} {'images/s':>10s} {'x in-memory':>12s}")
    for name, secs, n in rows:
        print(f"{name:28s} {secs:8.3f} {n / secs:10.0f} {secs / best_memory:12.2f}")
    later = min(secs for name, secs, _ in rows[1:args.epochs]) if args.epochs > 1 else rows[0][1]
    ratio = later / best_memory
    print(f"\nlater epoch / in-memory loop: {ratio:.2f}x  (goal <= 1.3x: {'met' if ratio <= 1.3 else 'NOT met'})")
    print(f"first epoch / in-memory loop: {rows[0][1] / best_memory:.1f}x")


if __name__ == '__main__':
    main()
