// Gene annotations: GTF, GFF3 and BED, chosen by the file name (the first input byte picks it) or, for an
// unknown extension, by the content.
#include "causeway/epigenome/annotation.h"
#include "causeway/error.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    static const char *const kNames[] = {"genes.gtf", "genes.gff3", "genes.bed", "genes.txt"};
    const std::string path =
        causeway::fuzz::write_input(kNames[data[0] % 4], causeway::fuzz::as_text(data + 1, size - 1));
    try {
        causeway::epigenome::Annotation annotation = causeway::epigenome::read_annotation(path);
        for (auto &gene : annotation.genes) {
            static_cast<void>(causeway::epigenome::chromosome_key(gene.chrom));
            static_cast<void>(causeway::epigenome::unversioned_gene_id(gene.gene_id));
        }
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
