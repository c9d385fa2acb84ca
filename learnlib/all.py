"The public API in one import: `from learnlib.all import *`, as the book's `from fastai.vision.all import *`."
# what the book's code takes for granted after that import
from pathlib import Path
import numpy as np, pandas as pd, matplotlib.pyplot as plt
import torch, torch.nn.functional as F
from torch import nn, tensor, Tensor
from PIL import Image
from torchvision.models import resnet18, resnet34, resnet50, mobilenet_v2
# learnlib, lowest module first
from .core import *
from .losses import *
from .datasets import *
from .data import *
from .transforms import *
from .datablock import *
from .callbacks import *
from .schedule import *
from .learner import *
from .lr_find import *
from .models import *
from .vision_learner import *
from .interpret import *
