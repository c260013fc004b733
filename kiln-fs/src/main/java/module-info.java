/**
 * kiln's engine: builds, reads, compares and checks the images unikernels boot with (cpio newc,
 * EROFS, tar). A user needs a handful of types: {@link dev.kiln.fs.build.ImageBuild} and
 * {@link dev.kiln.fs.build.Source} to build, {@link dev.kiln.fs.Images} and
 * {@link dev.kiln.fs.Tree} to read, {@link dev.kiln.fs.TreeDiff} to compare and
 * {@link dev.kiln.fs.target.Check} to lint for a consumer.
 *
 * <p>Only those packages are exported. The formats' writers and readers, the FFM bindings to
 * libc ({@code host}), the I/O machinery ({@code io}: direct I/O, feeds, thread use) and the
 * pure-Java LZ4 are internal and may change in any release.
 */
module dev.kiln.fs {
    requires com.github.luben.zstd_jni;
    requires org.tukaani.xz;
    requires jdk.unsupported;

    exports dev.kiln.fs;
    exports dev.kiln.fs.build;
    exports dev.kiln.fs.target;
}
