//! Losses: reaction pre-training (MolR-style, yield-aware), distillation and task losses.
//! Not implemented yet: see the teacher and distillation issues.
