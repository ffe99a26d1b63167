from .format import (
    cell_text as cell_text,
)
from .format import (
    esc as esc,
)
from .format import (
    hmm as hmm,
)
from .format import (
    t_plus as t_plus,
)
from .labels import (
    TASK_LABELS as TASK_LABELS,
)
