//! Encoders (GIN, GCN, GAT, SAGE, TAG, graph transformer), readouts, heads, and the MolKD
//! teacher (reaction) and student (molecule) models. Not implemented yet: see the encoder issue.
