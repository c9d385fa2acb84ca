"The public API in one import: `from learnlib.all import *`, as the book's `from fastai.vision.all import *`."
# what the book's code takes for granted after that import (re-exported: hence the noqa), first fastcore's, as
# fastai's star import brings them: L, first, Path (with .ls()), store_attr, GetAttr, Self, noop, partial, re, math...
from fastcore.all import *  # noqa: F403
import string, random, matplotlib  # noqa: F401
from types import SimpleNamespace  # noqa: F401
from numpy import array  # noqa: F401
import numpy as np, pandas as pd, matplotlib.pyplot as plt  # noqa: F401
import torch, torch.nn.functional as F  # noqa: F401
from torch import nn, tensor, Tensor  # noqa: F401
from PIL import Image  # noqa: F401
from torchvision.models import resnet18, resnet34, resnet50, mobilenet_v2  # noqa: F401
# learnlib, in the order the modules build on each other (after the above: where a name is in both, learnlib's wins)
from .core import *
from .bars import *
from .fetch import *
from .download import *
from .losses import *
from .show import *
from .pipeline import *
from .dataset import *
from .data_cache import *
from .data import *
from .tfmd import *
from .image import *
from .transforms import *
from .getters import *
from .blocks import *
from .datablock import *
from .callbacks import *
from .hooks import *
from .guards import *
from .optimizer import *
from .metrics import *
from .progress import *
from .schedule import *
from .lr_find import *
from .distributed import *
from .models import *
from .program import *
from .predictions import *
from .learner import *
from .text import *
from .vision_models import *
from .vision_learner import *
from .arch import *
from .tabular import *
from .tabular_learner import *
from .collab import *
from .export import *
from .interpret import *
from .cleaner import *
