/**
 * FT-L and FT-M: constrained fine-tuning of one or more layers' projections as an editor (algorithms §5; Zhu et
 * al., "Modifying Memories in Transformer Models", arXiv:2012.00363; Zhang et al., "A Comprehensive Study of
 * Knowledge Editing for Large Language Models", arXiv:2401.01286; EasyEdit {@code models/ft/ft_main.py}).
 *
 * <p>{@link dev.emend.edit.ft.FtParams} reads EasyEdit's {@code hparams/FT/*.yaml};
 * {@link dev.emend.edit.ft.FtEditor} trains copies of the selected parameters
 * ({@link dev.emend.edit.ft.TrainableParameters}) with {@link dev.emend.edit.ft.TorchAdam} and commits
 * {@code Δ = W − W0} as a {@link dev.emend.edit.WeightDelta}.
 */
package dev.emend.edit.ft;
