;; @module shared/kernel.wat
;; The generator's dense layers in WebAssembly SIMD, the fast path of shared/forward.ts. Assembled
;; into shared/kernel.wasm by `npm run build:kernel` (wabt); a test checks the two agree.
;;
;; Arithmetic, which the pure-JS path in shared/forward.ts emulates bit for bit with Math.fround:
;; each output j is `((0 + w_0j·x_0) + w_1j·x_1) + … + w_(n−1)j·x_(n−1)`, then `+ b_j`, every
;; product and every sum rounded to float32 (f32x4.mul then f32x4.add: no FMA, no relaxed SIMD,
;; which could fuse or reorder and so differ between engines). A lane holds one output for the
;; whole sum, so the lanes and the four accumulators change only the speed, never the bits.
;;
;; Layout (float32, 16-byte aligned, little-endian as wasm memory always is):
;;   x [inputs]                      the layer input
;;   w [blocks][inputs][16]          16 units interleaved per input (zero-padded past `units`)
;;   b [blocks · 16]                 bias, zero-padded
;;   y [blocks · 16]                 output
;; The memory is exported so the host sizes it (memory.grow) and writes weights and inputs.
(module
  (memory (export "memory") 1)

  ;; y = W·x + b for `blocks` blocks of 16 units over `inputs` inputs.
  (func (export "dense")
    (param $x i32) (param $w i32) (param $b i32) (param $y i32)
    (param $inputs i32) (param $blocks i32)
    (local $xp i32) (local $xend i32) (local $xi v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $xend (i32.add (local.get $x) (i32.shl (local.get $inputs) (i32.const 2))))
    (block $done
      (loop $block
        (br_if $done (i32.eqz (local.get $blocks)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0))
        (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $xp (local.get $x))
        (block $summed
          (loop $input
            (br_if $summed (i32.ge_u (local.get $xp) (local.get $xend)))
            (local.set $xi (f32x4.splat (f32.load (local.get $xp))))
            (local.set $a0 (f32x4.add (local.get $a0)
              (f32x4.mul (v128.load offset=0 (local.get $w)) (local.get $xi))))
            (local.set $a1 (f32x4.add (local.get $a1)
              (f32x4.mul (v128.load offset=16 (local.get $w)) (local.get $xi))))
            (local.set $a2 (f32x4.add (local.get $a2)
              (f32x4.mul (v128.load offset=32 (local.get $w)) (local.get $xi))))
            (local.set $a3 (f32x4.add (local.get $a3)
              (f32x4.mul (v128.load offset=48 (local.get $w)) (local.get $xi))))
            (local.set $w (i32.add (local.get $w) (i32.const 64)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
            (br $input)))
        (v128.store offset=0 (local.get $y)
          (f32x4.add (local.get $a0) (v128.load offset=0 (local.get $b))))
        (v128.store offset=16 (local.get $y)
          (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $b))))
        (v128.store offset=32 (local.get $y)
          (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $b))))
        (v128.store offset=48 (local.get $y)
          (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $b))))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (local.set $y (i32.add (local.get $y) (i32.const 64)))
        (local.set $blocks (i32.sub (local.get $blocks) (i32.const 1)))
        (br $block)))))
