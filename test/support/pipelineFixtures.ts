/**
 * Pipeline files shared by the language server's unit tests and its e2e test in VS Code
 * (no imports: the e2e suite loads this inside the extension host).
 */

/** The fixture the e2e test also uses: one problem of each kind, at known places. */
export const BROKEN_PIPELINE = `stages:
  prepare:
    cmd: python prepare.py
    deps:
      - data
    outs:
      - prepared
  train:
    cmd: python train.py --lr \${train.lr}
    deps:
      - prepared
      - missing.csv
    params:
      - train.lr
      - train.momentum
    outs:
      - models/new.pkl
  evaluate:
    cmd: python evaluate.py
    depz:
      - models/new.pkl
    frozen: maybe
`;
/** The params.yaml beside it. */
export const PARAMS = 'train:\n  lr: 0.01\n  epochs: 5\nseed: 7\n';
