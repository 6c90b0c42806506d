/**
 * LoRA and AdaLoRA as editors (algorithms §6; Hu et al., "LoRA", arXiv:2106.09685; Zhang et al., "AdaLoRA",
 * arXiv:2303.10512; EasyEdit {@code models/lora/lora_main.py}).
 *
 * <p>{@link dev.emend.edit.lora.LoraParams} reads EasyEdit's {@code hparams/LoRA/*.yaml}: {@code lora_type: lora} is
 * LoRA, {@code lora_type: adalora} AdaLoRA. {@link dev.emend.edit.lora.LoraEditor} trains adapters on the projections
 * chosen by {@link dev.emend.edit.lora.LoraTargets} with the FT package's {@link dev.emend.edit.ft.TorchAdam} and
 * commits each as a {@link dev.emend.edit.WeightDelta.LowRank}, which {@link dev.emend.edit.PeftAdapter} exports
 * unchanged: LoRA's {@code L = (α/r)·B}, {@code R = A}; AdaLoRA's SVD form {@code L = (α/(init_r + 1e-5))·P·diag(Λ)},
 * {@code R = Q}, trained with PEFT's orthogonality penalty and without rank pruning (EasyEdit never prunes).
 *
 * <p>Symbols: A / Q [r, in] ({@code lora_A}), B / P [out, r] ({@code lora_B}), Λ [r] ({@code lora_E}), r the adapter
 * rank ({@code rank}, or {@code init_r} for AdaLoRA), α {@code lora_alpha}, T the number of adapted projections.
 */
package dev.emend.edit.lora;
