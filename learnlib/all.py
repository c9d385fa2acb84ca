"The public API in one import: `from learnlib.all import *`, as the book's `from fastai.vision.all import *`."
from .core import *
from .losses import *
