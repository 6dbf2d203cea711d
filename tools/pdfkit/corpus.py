"""Vietnamese administrative text about e-government in Quảng Bình, and builders that
turn it into :class:`~pdfkit.vnpdf.OfficialDocument` objects of a given kind and length.

The text follows the themes of a provincial People's Committee meeting on
e-government (shared systems, broadband in 149/151 communes, online conferences down
to commune level, digitally signed documents, paperless meeting rooms, ...). Numbers
that vary between documents (percentages, counts, costs) are drawn from a
``random.Random`` so each document reads differently.

Builders: :func:`report`, :func:`proposal`, :func:`draft_resolution`,
:func:`draft_conclusion`; :func:`sample_document` makes any of them from a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .vnpdf import (
    Block,
    Heading,
    ItemList,
    OfficialDocument,
    Paragraph,
    Signatory,
    Table,
    fit_to_pages,
    fit_to_pages_multi,
)

UBND = ("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG BÌNH")
HDND = ("HỘI ĐỒNG NHÂN DÂN", "TỈNH QUẢNG BÌNH")

DISTRICTS = [
    # name, communes, communes with broadband
    ("Thành phố Đồng Hới", 15, 15),
    ("Thị xã Ba Đồn", 16, 16),
    ("Huyện Minh Hóa", 15, 14),
    ("Huyện Tuyên Hóa", 19, 18),
    ("Huyện Quảng Trạch", 17, 17),
    ("Huyện Bố Trạch", 28, 28),
    ("Huyện Quảng Ninh", 15, 15),
    ("Huyện Lệ Thủy", 26, 26),
]  # 151 communes, 149 with broadband


def vn_num(x: float, decimals: int = 0) -> str:
    """Vietnamese number format: 1.234.567 and 96,3."""
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


# ----------------------------------------------------------------------- themes


@dataclass
class Theme:
    key: str
    title: str  # noun phrase, sentence case
    unit: str  # lead agency
    results: list[str]  # "kết quả" paragraphs (may contain {placeholders})
    limits: list[str]  # "tồn tại, hạn chế" paragraphs
    tasks: list[str]  # "nhiệm vụ, giải pháp" points
    tags: set[str] = field(default_factory=set)


THEMES: list[Theme] = [
    Theme(
        "cqdt",
        "Hoàn thiện nền tảng Chính quyền điện tử",
        "Sở Thông tin và Truyền thông",
        [
            "Thời gian qua, Ủy ban nhân dân tỉnh đã chỉ đạo mạnh mẽ, quyết liệt việc xây dựng Chính quyền điện tử; trong đó tập trung thực hiện thống nhất, đồng bộ các hệ thống nền tảng, phần mềm dùng chung của tỉnh, của ngành như: Hệ thống thông tin một cửa điện tử và Cổng dịch vụ công, hệ thống Quản lý văn bản và Điều hành, hệ thống thông tin báo cáo, hệ thống Hội nghị trực tuyến, hệ thống họp không giấy. Các kết quả này được Trung ương ghi nhận, đánh giá cao.",
            "Kiến trúc Chính quyền điện tử tỉnh Quảng Bình đã được cập nhật theo Khung Kiến trúc Chính phủ điện tử Việt Nam, làm cơ sở cho việc đầu tư, kết nối và chia sẻ dữ liệu giữa các cơ quan nhà nước. Nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh (LGSP) đã kết nối với Nền tảng tích hợp, chia sẻ dữ liệu quốc gia, phục vụ liên thông {n_sys} hệ thống thông tin chuyên ngành.",
        ],
        [
            "Một số lĩnh vực chưa có phần mềm dùng chung, chưa thực sự kết nối, liên thông, chia sẻ dữ liệu với tỉnh, với Quốc gia; việc chuyển đổi số chưa được đẩy mạnh, công tác báo cáo, thu thập dữ liệu ở một số ngành vẫn còn thủ công. Nguyên nhân chủ yếu là nguồn lực đầu tư còn hạn chế, một số cơ quan, đơn vị chưa thực sự quan tâm, người đứng đầu chưa trực tiếp chỉ đạo.",
        ],
        [
            "Cập nhật Kiến trúc Chính quyền điện tử tỉnh phiên bản 3.0, hoàn thành trong Quý I năm {Y1};",
            "Rà soát mức độ kết nối của các hệ thống thông tin chuyên ngành với Nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh;",
            "Xây dựng danh mục cơ sở dữ liệu dùng chung và kế hoạch mở dữ liệu của tỉnh;",
            "Hướng dẫn các sở, ngành, địa phương bảo đảm yêu cầu kỹ thuật khi đầu tư hệ thống thông tin mới, tránh trùng lặp.",
        ],
        {"egov"},
    ),
    Theme(
        "bangthong",
        "Hạ tầng viễn thông và Internet băng thông rộng",
        "Sở Thông tin và Truyền thông",
        [
            "Internet băng thông rộng đã được triển khai, lắp đặt tại 149/151 trung tâm các xã, phường, thị trấn trong toàn tỉnh; 02 xã còn lại thuộc vùng núi cao của huyện Minh Hóa và huyện Tuyên Hóa đang được các doanh nghiệp viễn thông khảo sát, lắp đặt tuyến cáp quang và trạm phát sóng di động. Tỷ lệ hộ gia đình có kết nối Internet cáp quang đạt khoảng {pct_a}%, tỷ lệ dân số trưởng thành có điện thoại thông minh đạt khoảng {pct_b}%.",
            "Các doanh nghiệp viễn thông trên địa bàn đã đầu tư mới {n_bts} trạm phát sóng di động, nâng tổng số trạm lên hơn {n_bts_total} trạm; vùng phủ sóng 4G đạt trên 98% diện tích dân cư. Thành phố Đồng Hới đã thử nghiệm mạng di động 5G tại khu vực trung tâm và các khu công nghiệp.",
        ],
        [
            "Hạ tầng viễn thông, Internet chưa được phủ sóng đến 100% địa bàn dân cư; tại một số thôn, bản vùng sâu, vùng xa, vùng đồng bào dân tộc thiểu số, chất lượng tín hiệu di động còn yếu, chưa đáp ứng yêu cầu học tập, làm việc trực tuyến và sử dụng dịch vụ công trực tuyến của người dân.",
        ],
        [
            "Phối hợp với các doanh nghiệp viễn thông hoàn thành kéo cáp quang đến trung tâm 02 xã còn lại trước ngày 30 tháng 6 năm {Y1};",
            "Xóa các “vùng lõm” sóng di động tại các thôn, bản vùng sâu, vùng xa;",
            "Đẩy mạnh dùng chung hạ tầng kỹ thuật viễn thông thụ động, ngầm hóa mạng cáp tại khu vực đô thị;",
            "Phát triển hạ tầng di động 5G tại thành phố Đồng Hới, thị xã Ba Đồn và các khu công nghiệp.",
        ],
        {"infra"},
    ),
    Theme(
        "tsl",
        "Mạng truyền số liệu chuyên dùng",
        "Sở Thông tin và Truyền thông",
        [
            "Mạng truyền số liệu chuyên dùng của các cơ quan Đảng, Nhà nước đã được triển khai, kết nối đến 100% các sở, ban, ngành cấp tỉnh và Ủy ban nhân dân cấp huyện; đến nay đã mở rộng kết nối đến {n_xa_tsl}/151 Ủy ban nhân dân cấp xã. Đây là hạ tầng truyền dẫn chính cho hệ thống hội nghị trực tuyến, hệ thống Quản lý văn bản và Điều hành và các hệ thống dùng chung của tỉnh.",
        ],
        [
            "Băng thông kết nối tại một số điểm còn thấp, thiết bị mạng tại nhiều Ủy ban nhân dân cấp xã đã cũ, chưa bảo đảm yêu cầu khi đồng thời tổ chức hội nghị trực tuyến và khai thác các hệ thống thông tin; việc giám sát an toàn thông tin trên mạng truyền số liệu chuyên dùng chưa được thực hiện tập trung.",
        ],
        [
            "Nâng cấp băng thông mạng truyền số liệu chuyên dùng cấp II đến 100% Ủy ban nhân dân cấp xã;",
            "Xây dựng hệ thống mạng dùng chung kết nối các đơn vị, địa phương trong tỉnh;",
            "Thay thế thiết bị mạng đã hết khấu hao tại các điểm cầu cấp xã.",
        ],
        {"infra"},
    ),
    Theme(
        "dungchung",
        "Các hệ thống thông tin dùng chung của tỉnh",
        "Văn phòng Ủy ban nhân dân tỉnh",
        [
            "Hệ thống thông tin một cửa điện tử và Cổng dịch vụ công của tỉnh được triển khai thống nhất tại 100% cơ quan, đơn vị từ cấp tỉnh đến cấp xã, kết nối với Cổng Dịch vụ công quốc gia. Từ đầu năm đến nay, toàn tỉnh đã tiếp nhận {n_hs} hồ sơ thủ tục hành chính, trong đó {pct_c}% hồ sơ được tiếp nhận trực tuyến; tỷ lệ hồ sơ giải quyết đúng hạn đạt {pct_d}%.",
            "Hệ thống Quản lý văn bản và Điều hành đã triển khai rộng khắp toàn tỉnh với cấu hình liên thông 3 cấp và kết nối với Trục liên thông văn bản quốc gia. Hệ thống thông tin báo cáo của tỉnh đã kết nối với Hệ thống thông tin báo cáo Chính phủ; hệ thống theo dõi thực hiện nhiệm vụ của Ủy ban nhân dân tỉnh đã được xây dựng, triển khai ứng dụng tại Văn phòng Ủy ban nhân dân tỉnh.",
        ],
        [
            "Một số hệ thống, phần mềm chưa được triển khai, nâng cấp kịp thời, như Hệ thống thông tin báo cáo ở cấp huyện, cấp xã; dữ liệu giữa Hệ thống thông tin một cửa điện tử và các phần mềm chuyên ngành do bộ, ngành trung ương cung cấp chưa được đồng bộ tự động, cán bộ tiếp nhận còn phải nhập liệu nhiều lần.",
        ],
        [
            "Nâng cấp Hệ thống thông tin một cửa điện tử đáp ứng yêu cầu số hóa hồ sơ, kết quả giải quyết thủ tục hành chính;",
            "Hoàn thiện Hệ thống thông tin báo cáo, bảo đảm 100% chế độ báo cáo định kỳ được thực hiện trực tuyến;",
            "Tiếp tục nâng cấp phần mềm dùng chung của tỉnh, kết nối liên thông với các hệ thống của bộ, ngành.",
        ],
        {"egov"},
    ),
    Theme(
        "hntt",
        "Hệ thống hội nghị trực tuyến",
        "Sở Thông tin và Truyền thông",
        [
            "Hệ thống hội nghị trực tuyến từ tỉnh đến cấp huyện đã được thiết lập, bảo đảm kết nối ổn định với điểm cầu Chính phủ và 08 huyện, thị xã, thành phố. Từ đầu năm đến nay, Ủy ban nhân dân tỉnh đã tổ chức {n_hn} cuộc họp, hội nghị theo hình thức trực tuyến, tiết kiệm đáng kể thời gian, chi phí đi lại của cán bộ, công chức.",
            "Hệ thống hội nghị trực tuyến từ cấp huyện đến cấp xã đã được triển khai thí điểm tại thành phố Đồng Hới và thị xã Ba Đồn với {n_diemcau} điểm cầu; các điểm cầu sử dụng phần mềm hội nghị trực tuyến dùng chung của tỉnh, đường truyền mạng truyền số liệu chuyên dùng, bảo đảm chất lượng hình ảnh, âm thanh.",
        ],
        [
            "Phần lớn Ủy ban nhân dân cấp xã chưa có phòng họp trực tuyến đạt chuẩn, thiếu thiết bị ghi hình, âm thanh và cán bộ kỹ thuật vận hành; việc ứng dụng phần mềm hội nghị trực tuyến chưa được triển khai khẩn trương theo chỉ đạo của Ủy ban nhân dân tỉnh.",
        ],
        [
            "Đầu tư thiết bị điểm cầu trực tuyến cho 100% Ủy ban nhân dân cấp xã, ưu tiên sử dụng phần mềm hội nghị trực tuyến dùng chung của tỉnh;",
            "Ban hành Quy chế quản lý, vận hành, sử dụng hệ thống hội nghị trực tuyến các cấp;",
            "Tổ chức tập huấn cho cán bộ kỹ thuật cấp huyện, cấp xã về vận hành điểm cầu;",
            "Từ Quý III năm {Y1}, các cuộc họp giao ban của Ủy ban nhân dân tỉnh với cấp huyện, cấp xã được tổ chức theo hình thức trực tuyến.",
        ],
        {"egov", "online"},
    ),
    Theme(
        "kyso",
        "Gửi, nhận văn bản điện tử có ký số",
        "Văn phòng Ủy ban nhân dân tỉnh",
        [
            "Việc gửi, nhận văn bản điện tử có ký số trên môi trường mạng thay thế văn bản giấy đã được thực hiện thống nhất tại các cơ quan hành chính nhà nước từ cấp tỉnh đến cấp xã. Tỷ lệ văn bản đi được ký số và gửi hoàn toàn dưới dạng điện tử đạt {pct_e}%; 100% lãnh đạo các sở, ban, ngành và Ủy ban nhân dân cấp huyện đã được cấp chứng thư số và sử dụng thường xuyên.",
            "Từ đầu năm đến nay, toàn tỉnh đã cấp mới {n_cts} chứng thư số chuyên dùng cho cán bộ, công chức và cơ quan, đơn vị; triển khai ký số trên thiết bị di động cho lãnh đạo Ủy ban nhân dân tỉnh và lãnh đạo các sở, ngành.",
        ],
        [
            "Một số cơ quan, đơn vị vẫn còn tình trạng gửi kèm văn bản giấy song song với văn bản điện tử; việc ký số trên thiết bị di động chưa phổ biến; việc lập hồ sơ và lưu trữ hồ sơ điện tử theo quy định của pháp luật về lưu trữ còn lúng túng.",
        ],
        [
            "Đẩy nhanh việc thực hiện ký số văn bản; chấm dứt việc gửi văn bản giấy song song với văn bản điện tử, trừ văn bản mật theo quy định;",
            "Cấp chứng thư số cho 100% cán bộ, công chức có nhu cầu ký số;",
            "Triển khai lập hồ sơ điện tử và nộp lưu hồ sơ điện tử vào Lưu trữ lịch sử tỉnh.",
        ],
        {"egov", "sign"},
    ),
    Theme(
        "khonggiay",
        "Hệ thống phòng họp không giấy",
        "Văn phòng Ủy ban nhân dân tỉnh",
        [
            "Hệ thống Phòng họp không giấy đã được triển khai thử nghiệm tại nhiều phiên họp thường kỳ của Ủy ban nhân dân tỉnh. Tài liệu họp được gửi đến các thành viên dưới dạng điện tử có ký số trước phiên họp; đại biểu đọc, ghi chú, biểu quyết và gửi ý kiến trên máy tính bảng hoặc máy tính xách tay. Mỗi phiên họp tiết kiệm trung bình khoảng {n_trang} trang tài liệu in.",
            "Hệ thống cho phép thư ký cuộc họp xây dựng chương trình, gắn tài liệu vào từng nội dung, điểm danh, điều hành đăng ký phát biểu và tổ chức biểu quyết; đại biểu dự họp từ xa theo dõi tài liệu đang trình chiếu và phát biểu qua hệ thống hội nghị trực tuyến.",
        ],
        [
            "Một số đại biểu chưa quen với việc đọc tài liệu trên thiết bị điện tử; hạ tầng mạng không dây tại một số phòng họp chưa ổn định; việc đồng bộ tài liệu khi đại biểu làm việc ngoài trụ sở cần được bảo đảm an toàn, bảo mật, nhất là đối với tài liệu mật.",
        ],
        [
            "Mở rộng Hệ thống Phòng họp không giấy đến 100% phiên họp của Ủy ban nhân dân tỉnh và các sở, ngành;",
            "Bảo đảm tài liệu họp được ký số, phân loại theo mức độ công khai, nội bộ, mật;",
            "Trang bị thiết bị đầu cuối cho thành viên Ủy ban nhân dân tỉnh;",
            "Hướng dẫn đại biểu sử dụng các chức năng ghi chú, biểu quyết và phiếu lấy ý kiến.",
        ],
        {"egov", "paperless"},
    ),
    Theme(
        "dvc",
        "Dịch vụ công trực tuyến",
        "Văn phòng Ủy ban nhân dân tỉnh",
        [
            "Toàn tỉnh hiện cung cấp {n_dvc} dịch vụ công trực tuyến, trong đó có {n_tt} dịch vụ công trực tuyến toàn trình; 100% thủ tục hành chính đủ điều kiện đã được tích hợp, cung cấp trên Cổng Dịch vụ công quốc gia. Tỷ lệ hồ sơ có thanh toán trực tuyến phí, lệ phí đạt {pct_f}%.",
        ],
        [
            "Tỷ lệ cung cấp dịch vụ công trực tuyến ở mức độ toàn trình chưa cao; tỷ lệ hồ sơ nộp trực tuyến ở một số lĩnh vực như đất đai, xây dựng còn thấp; việc số hóa hồ sơ, kết quả giải quyết thủ tục hành chính chưa đạt chỉ tiêu đề ra.",
        ],
        [
            "Rà soát, tái cấu trúc quy trình để nâng số dịch vụ công trực tuyến toàn trình;",
            "Thực hiện số hóa 100% hồ sơ, kết quả giải quyết thủ tục hành chính còn hiệu lực;",
            "Tăng cường hỗ trợ người dân nộp hồ sơ trực tuyến tại bộ phận một cửa các cấp.",
        ],
        {"egov", "admin"},
    ),
    Theme(
        "attt",
        "Bảo đảm an toàn thông tin mạng",
        "Trung tâm Công nghệ thông tin và Truyền thông",
        [
            "Trung tâm Giám sát an toàn thông tin của tỉnh (SOC) đã kết nối với hệ thống giám sát quốc gia; {n_httt} hệ thống thông tin đã được phê duyệt hồ sơ đề xuất cấp độ an toàn thông tin. Từ đầu năm đến nay, hệ thống đã phát hiện và ngăn chặn {n_tc} lượt tấn công, dò quét vào các hệ thống thông tin của tỉnh.",
        ],
        [
            "Nhiều máy tính của cán bộ, công chức cấp xã chưa được cài đặt phần mềm phòng, chống mã độc có bản quyền; nhận thức về an toàn thông tin của một bộ phận cán bộ còn hạn chế, vẫn còn tình trạng sử dụng thư điện tử công vụ để đăng ký dịch vụ cá nhân.",
        ],
        [
            "Hoàn thành phê duyệt cấp độ an toàn thông tin cho 100% hệ thống thông tin đang vận hành;",
            "Triển khai phần mềm phòng, chống mã độc tập trung cho máy tính của cán bộ, công chức các cấp;",
            "Tổ chức diễn tập ứng cứu sự cố an toàn thông tin mạng ít nhất một lần mỗi năm.",
        ],
        {"security"},
    ),
    Theme(
        "ioc",
        "Trung tâm điều hành thông minh",
        "Sở Thông tin và Truyền thông",
        [
            "Việc xây dựng Trung tâm điều hành thông minh (IOC) của tỉnh là cần thiết nhằm giám sát, điều hành tập trung các lĩnh vực kinh tế - xã hội trên cơ sở dữ liệu số; hình thành kho dữ liệu dùng chung phục vụ công tác chỉ đạo, điều hành của lãnh đạo tỉnh. Giai đoạn 1 dự kiến tích hợp các lĩnh vực: phản ánh hiện trường, giám sát dịch vụ công, giao thông, y tế, giáo dục và camera an ninh tại thành phố Đồng Hới.",
        ],
        [
            "Dữ liệu phục vụ chỉ đạo, điều hành còn phân tán ở nhiều hệ thống, chưa được chuẩn hóa; chưa có nền tảng phân tích, trực quan hóa dữ liệu dùng chung để lãnh đạo tỉnh theo dõi tình hình theo thời gian thực.",
        ],
        [
            "Xây dựng Trung tâm điều hành thông minh theo hình thức thuê dịch vụ công nghệ thông tin;",
            "Chuẩn hóa, kết nối dữ liệu từ các hệ thống dùng chung và chuyên ngành về Trung tâm;",
            "Xây dựng bộ chỉ số phục vụ chỉ đạo, điều hành của lãnh đạo tỉnh.",
        ],
        {"egov", "invest"},
    ),
    Theme(
        "taichinh",
        "Nguồn lực tài chính",
        "Sở Tài chính",
        [
            "Kinh phí thực hiện được bố trí từ nguồn ngân sách nhà nước theo phân cấp hiện hành, nguồn vốn sự nghiệp khoa học và công nghệ, nguồn vốn đầu tư công trung hạn giai đoạn 2026 - 2030 và các nguồn vốn hợp pháp khác. Ưu tiên hình thức thuê dịch vụ công nghệ thông tin đối với các hạng mục đã có sẵn trên thị trường nhằm giảm chi phí đầu tư ban đầu.",
            "Năm {Y}, ngân sách tỉnh đã bố trí {n_kp} triệu đồng cho các nhiệm vụ ứng dụng công nghệ thông tin, chuyển đổi số; tỷ lệ giải ngân đến thời điểm báo cáo đạt {pct_g}% kế hoạch.",
        ],
        [
            "Việc lựa chọn các dự án đầu tư ở một số đơn vị còn dàn trải, chưa có trọng tâm, trọng điểm; tiến độ giải ngân một số dự án công nghệ thông tin còn chậm do vướng mắc trong thủ tục thẩm định giá, lựa chọn nhà thầu.",
        ],
        [
            "Lựa chọn các dự án đầu tư hợp lý nhằm bảo đảm chủ động nguồn tài chính và phát huy hiệu quả hệ thống phần mềm, hạ tầng phục vụ hoạt động của Chính quyền điện tử;",
            "Bố trí tối thiểu 1% tổng chi ngân sách tỉnh hằng năm cho chuyển đổi số;",
            "Hướng dẫn các đơn vị lập dự toán thuê dịch vụ công nghệ thông tin theo quy định.",
        ],
        {"finance"},
    ),
    Theme(
        "nhanluc",
        "Nguồn nhân lực và kỹ năng số",
        "Sở Nội vụ",
        [
            "Đội ngũ cán bộ chuyên trách công nghệ thông tin đã được bố trí tại 100% sở, ban, ngành và Ủy ban nhân dân cấp huyện. Từ đầu năm đến nay, tỉnh đã tổ chức {n_lop} lớp bồi dưỡng kỹ năng số cho hơn {n_hv} lượt cán bộ, công chức, viên chức; 151/151 xã, phường, thị trấn đã thành lập Tổ công nghệ số cộng đồng.",
        ],
        [
            "Nhân lực công nghệ thông tin ở cấp xã chủ yếu là kiêm nhiệm, thường xuyên thay đổi; chế độ đãi ngộ chưa đủ sức thu hút nhân lực chất lượng cao làm việc trong cơ quan nhà nước.",
        ],
        [
            "Bồi dưỡng kỹ năng số cho 100% cán bộ, công chức cấp xã;",
            "Xây dựng chính sách thu hút nhân lực công nghệ thông tin chất lượng cao;",
            "Phát huy vai trò của Tổ công nghệ số cộng đồng trong hướng dẫn người dân sử dụng dịch vụ số.",
        ],
        {"people"},
    ),
    Theme(
        "xa",
        "Chuyển đổi số cấp xã",
        "Ủy ban nhân dân thành phố Đồng Hới",
        [
            "Thành phố Đồng Hới đã thí điểm mô hình xã, phường chuyển đổi số với các nội dung: số hóa hồ sơ một cửa, thanh toán không dùng tiền mặt tại chợ, trường học, bệnh viện; hệ thống camera giám sát tại các tuyến phố chính và ứng dụng phản ánh hiện trường trên thiết bị di động. Đến nay đã có {n_pa} phản ánh của người dân được tiếp nhận, xử lý đúng hạn.",
        ],
        [
            "Kinh phí dành cho chuyển đổi số ở cấp xã còn rất hạn chế; trang thiết bị công nghệ thông tin tại nhiều Ủy ban nhân dân cấp xã đã xuống cấp; việc nhân rộng mô hình còn gặp khó khăn ở các xã miền núi.",
        ],
        [
            "Nhân rộng mô hình xã, phường chuyển đổi số của thành phố Đồng Hới ra các huyện, thị xã;",
            "Bảo đảm mỗi Ủy ban nhân dân cấp xã có ít nhất một phòng họp trực tuyến đạt chuẩn;",
            "Hỗ trợ hộ kinh doanh, hợp tác xã đưa sản phẩm lên sàn thương mại điện tử.",
        ],
        {"local"},
    ),
    Theme(
        "ktxh",
        "Tình hình kinh tế - xã hội",
        "Sở Kế hoạch và Đầu tư",
        [
            "Tình hình kinh tế - xã hội của tỉnh tiếp tục chuyển biến tích cực. Tốc độ tăng trưởng tổng sản phẩm trên địa bàn (GRDP) ước đạt {pct_h}%; thu ngân sách nhà nước trên địa bàn ước đạt {n_thu} tỷ đồng, bằng {pct_i}% dự toán; tổng lượt khách du lịch ước đạt {n_kdl} triệu lượt, tăng so với cùng kỳ.",
            "Sản xuất nông nghiệp được mùa, được giá; các dự án trọng điểm như đường bộ cao tốc Bắc - Nam đoạn qua tỉnh, Cảng hàng không Đồng Hới mở rộng và các khu công nghiệp được đẩy nhanh tiến độ. Các lĩnh vực văn hóa, xã hội, an sinh xã hội được quan tâm; quốc phòng, an ninh được giữ vững.",
        ],
        [
            "Giải ngân vốn đầu tư công chưa đạt yêu cầu; một số dự án còn vướng mắc trong công tác giải phóng mặt bằng; sản xuất công nghiệp tăng chậm so với kế hoạch; đời sống của một bộ phận người dân vùng thiên tai còn nhiều khó khăn.",
        ],
        [
            "Tập trung tháo gỡ khó khăn, vướng mắc, đẩy nhanh tiến độ giải ngân vốn đầu tư công;",
            "Chuẩn bị tốt các điều kiện phục vụ Nhân dân vui Xuân, đón Tết an toàn, tiết kiệm;",
            "Chủ động phòng, chống thiên tai, dịch bệnh; bảo đảm an sinh xã hội.",
        ],
        {"economy"},
    ),
    Theme(
        "dautu",
        "Kế hoạch đầu tư công",
        "Sở Kế hoạch và Đầu tư",
        [
            "Tổng kế hoạch vốn đầu tư công năm {Y} của tỉnh là {n_vdt} tỷ đồng; đến thời điểm báo cáo đã giải ngân {pct_j}% kế hoạch. Các dự án chuyển đổi số, ứng dụng công nghệ thông tin được bố trí vốn theo tiến độ; một số dự án đã hoàn thành, đưa vào sử dụng, phát huy hiệu quả.",
        ],
        [
            "Công tác chuẩn bị đầu tư của một số dự án còn chậm; năng lực của một số chủ đầu tư, nhà thầu còn hạn chế; việc điều chỉnh kế hoạch vốn chưa kịp thời.",
        ],
        [
            "Rà soát, điều chuyển vốn từ các dự án chậm giải ngân sang các dự án có khả năng giải ngân tốt;",
            "Ưu tiên bố trí vốn cho các dự án chuyển đổi số có tính liên thông, dùng chung;",
            "Xử lý nghiêm các chủ đầu tư, nhà thầu vi phạm tiến độ.",
        ],
        {"economy", "invest"},
    ),
    Theme(
        "tuyentruyen",
        "Thông tin, tuyên truyền",
        "Sở Thông tin và Truyền thông",
        [
            "Công tác thông tin, tuyên truyền về Chính quyền điện tử, chuyển đổi số được đẩy mạnh trên Báo Quảng Bình, Đài Phát thanh và Truyền hình tỉnh, Cổng thông tin điện tử tỉnh và hệ thống thông tin cơ sở. Nhiều chuyên trang, chuyên mục hướng dẫn người dân sử dụng dịch vụ công trực tuyến, thanh toán không dùng tiền mặt được duy trì thường xuyên.",
        ],
        [
            "Hình thức tuyên truyền ở một số địa phương chưa phong phú, chưa phù hợp với đặc điểm của vùng đồng bào dân tộc thiểu số; nhận thức của một bộ phận người dân về lợi ích của dịch vụ số còn hạn chế.",
        ],
        [
            "Đa dạng hóa hình thức tuyên truyền, chú trọng nền tảng số và mạng xã hội;",
            "Biểu dương, nhân rộng các mô hình, cách làm hay về chuyển đổi số.",
        ],
        {"people"},
    ),
]

THEME_BY_KEY = {t.key: t for t in THEMES}


def facts(rng: random.Random, year: int) -> dict[str, str]:
    """Numbers for the placeholders in theme texts, plausible and varied."""
    r = rng
    return {
        "Y": str(year),
        "Y1": str(year + 1),
        "Yp": str(year - 1),
        "n_sys": str(r.randint(18, 34)),
        "pct_a": vn_num(r.uniform(71, 86), 1),
        "pct_b": vn_num(r.uniform(78, 91), 1),
        "n_bts": str(r.randint(120, 260)),
        "n_bts_total": vn_num(r.randint(26, 34) * 100),
        "n_xa_tsl": str(r.randint(118, 146)),
        "n_hs": vn_num(r.randint(310, 480) * 1000 + r.randint(0, 999)),
        "pct_c": vn_num(r.uniform(58, 79), 1),
        "pct_d": vn_num(r.uniform(97, 99.6), 1),
        "n_hn": str(r.randint(140, 260)),
        "n_diemcau": str(r.randint(24, 31)),
        "pct_e": vn_num(r.uniform(94, 99), 1),
        "n_cts": vn_num(r.randint(900, 2400)),
        "n_trang": vn_num(r.randint(30, 60) * 100),
        "n_dvc": vn_num(r.randint(1450, 1720)),
        "n_tt": str(r.randint(780, 990)),
        "pct_f": vn_num(r.uniform(42, 63), 1),
        "n_httt": str(r.randint(60, 95)),
        "n_tc": vn_num(r.randint(1200, 9800)),
        "n_kp": vn_num(r.randint(95, 180) * 1000),
        "pct_g": vn_num(r.uniform(61, 88), 1),
        "n_lop": str(r.randint(24, 60)),
        "n_hv": vn_num(r.randint(35, 90) * 100),
        "n_pa": vn_num(r.randint(1500, 6000)),
        "pct_h": vn_num(r.uniform(6.1, 8.4), 2),
        "n_thu": vn_num(r.randint(7200, 9400)),
        "pct_i": vn_num(r.uniform(96, 118), 1),
        "n_kdl": vn_num(r.uniform(4.2, 5.6), 2),
        "n_vdt": vn_num(r.randint(4800, 6900)),
        "pct_j": vn_num(r.uniform(58, 82), 1),
    }


def _fill(text: str, f: dict[str, str]) -> str:
    return text.format(**f)


# ----------------------------------------------------------------------- tables


def table_districts(rng: random.Random) -> Table:
    rows, tot = [], [0, 0, 0]
    for i, (name, communes, bb) in enumerate(DISTRICTS):
        online = rng.randint(max(1, communes // 4), communes) if i > 1 else communes
        rows.append([str(i + 1), name, str(communes), str(bb), str(online), vn_num(rng.uniform(52, 88), 1)])
        tot[0] += communes
        tot[1] += bb
        tot[2] += online
    rows.append(["", "Toàn tỉnh", str(tot[0]), str(tot[1]), str(tot[2]), ""])
    return Table(
        ["TT", "Địa phương", "Số xã, phường, thị trấn", "Có Internet băng thông rộng", "Có điểm cầu trực tuyến", "Hồ sơ trực tuyến (%)"],
        rows,
        widths=[0.5, 2.6, 1.4, 1.5, 1.4, 1.3],
        caption="Bảng: Kết quả triển khai hạ tầng số theo địa phương",
        numeric_cols=(2, 3, 4, 5),
    )


def table_indicators(rng: random.Random, year: int) -> Table:
    def pair(lo, hi, d=1):
        a = rng.uniform(lo, hi)
        b = min(100.0, a + rng.uniform(2, 9))
        c = min(100.0, b + rng.uniform(1, 6))
        return [vn_num(a, d), vn_num(b, d), vn_num(c, d)]

    rows = [
        ["1", "Văn bản đi được ký số, gửi điện tử", "%"] + pair(80, 90),
        ["2", "Hồ sơ thủ tục hành chính nộp trực tuyến", "%"] + pair(45, 62),
        ["3", "Dịch vụ công trực tuyến toàn trình", "%"] + pair(40, 55),
        ["4", "Cuộc họp của UBND tỉnh tổ chức không giấy", "%"] + pair(35, 60),
        ["5", "Xã có điểm cầu hội nghị trực tuyến", "%"] + pair(15, 30),
        ["6", "Hồ sơ, kết quả TTHC được số hóa", "%"] + pair(50, 70),
    ]
    return Table(
        ["TT", "Chỉ tiêu", "Đơn vị", f"Năm {year - 1}", f"Năm {year}", f"Kế hoạch {year + 1}"],
        rows,
        widths=[0.5, 4.2, 0.8, 1.2, 1.2, 1.4],
        caption="Bảng: Một số chỉ tiêu Chính quyền điện tử chủ yếu",
        numeric_cols=(3, 4, 5),
    )


def table_budget(rng: random.Random, items: Sequence[str], year: int) -> Table:
    sources = ["Ngân sách tỉnh", "Vốn đầu tư công", "Sự nghiệp KH&CN", "Ngân sách huyện", "Thuê dịch vụ CNTT"]
    rows, total = [], 0
    for i, it in enumerate(items):
        v = rng.randint(8, 160) * 100
        total += v
        rows.append([str(i + 1), it, vn_num(v), rng.choice(sources)])
    rows.append(["", "Tổng cộng", vn_num(total), ""])
    return Table(
        ["TT", "Nội dung", "Kinh phí (triệu đồng)", "Nguồn vốn"],
        rows,
        widths=[0.5, 4.6, 1.5, 1.8],
        caption=f"Bảng: Dự kiến kinh phí thực hiện giai đoạn {year + 1} - {year + 4}",
        numeric_cols=(2,),
    )


def table_systems(rng: random.Random) -> Table:
    rows = [
        ["1", "Hệ thống thông tin một cửa điện tử, Cổng dịch vụ công", "3 cấp (tỉnh, huyện, xã)", "Đang vận hành"],
        ["2", "Hệ thống Quản lý văn bản và Điều hành", "3 cấp, liên thông quốc gia", "Đang vận hành"],
        ["3", "Hệ thống thông tin báo cáo", "Cấp tỉnh", rng.choice(["Đang mở rộng cấp huyện", "Đang nâng cấp"])],
        ["4", "Hệ thống hội nghị trực tuyến", "Tỉnh - huyện; thí điểm cấp xã", "Đang mở rộng"],
        ["5", "Hệ thống Phòng họp không giấy", "UBND tỉnh", rng.choice(["Thử nghiệm", "Vận hành chính thức"])],
        ["6", "Hệ thống theo dõi thực hiện nhiệm vụ", "Văn phòng UBND tỉnh", "Đang vận hành"],
    ]
    return Table(
        ["TT", "Hệ thống", "Phạm vi triển khai", "Tình trạng"],
        rows,
        widths=[0.5, 4.0, 2.6, 1.9],
        caption="Bảng: Hiện trạng các hệ thống thông tin dùng chung",
    )


# --------------------------------------------------------------------- builders

LEGAL_BASES = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm 2019;",
    "Căn cứ Luật Giao dịch điện tử ngày 22 tháng 6 năm 2023;",
    "Căn cứ Luật Ngân sách nhà nước ngày 25 tháng 6 năm 2015;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Căn cứ Nghị định số 42/2022/NĐ-CP ngày 24 tháng 6 năm 2022 của Chính phủ quy định về việc cung cấp thông tin và dịch vụ công trực tuyến của cơ quan nhà nước trên môi trường mạng;",
    "Căn cứ Quyết định số 749/QĐ-TTg ngày 03 tháng 6 năm 2020 của Thủ tướng Chính phủ phê duyệt Chương trình Chuyển đổi số quốc gia đến năm 2025, định hướng đến năm 2030;",
]

DIST_UBND = [
    "Như trên;",
    "TT Tỉnh ủy, TT HĐND tỉnh;",
    "Chủ tịch, các PCT UBND tỉnh;",
    "Các sở, ban, ngành cấp tỉnh;",
    "UBND các huyện, thị xã, thành phố;",
    "Lưu: VT, KGVX.",
]


def _order_themes(rng: random.Random, focus: Sequence[str]) -> list[Theme]:
    """The focus themes, then the others: related ones (sharing a tag) first, and
    economy themes last unless the document is about the economy."""
    first = [THEME_BY_KEY[k] for k in focus]
    tags = set().union(*(t.tags for t in first)) if first else set()
    rest = [t for t in THEMES if t.key not in focus]
    rng.shuffle(rest)
    rest.sort(key=lambda t: (("economy" in t.tags and "economy" not in tags), not (t.tags & tags)))
    return first + rest


def _lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s else s


@dataclass
class DocContext:
    """What a builder needs besides the kind: who issues it, when, its number."""

    number: str
    date: dt.date | None
    subject: str
    focus: Sequence[str]  # theme keys, most relevant first
    seed: int | str = 0
    pages: int | None = None  # exact page count wanted (None: as long as it comes out)
    year: int | None = None
    signatory: Signatory | None = None
    distribution: list[str] | None = None
    marking: str | None = None
    issuing_unit: str = "Ủy ban nhân dân tỉnh"  # as named in running text
    issuer: Sequence[str] | None = None  # header lines; default UBND tỉnh
    place: str = "Quảng Bình"
    meeting_title: str | None = None
    meeting_place: str | None = None
    meeting_date: dt.date | None = None
    chair: str | None = None


def _rng(ctx: DocContext) -> random.Random:
    return random.Random(f"{ctx.seed}:{ctx.number}:{ctx.subject}")


def _year(ctx: DocContext) -> int:
    return ctx.year or (ctx.date.year if ctx.date else dt.date.today().year)


_VERBS = ("ban hành", "phê duyệt", "điều chỉnh", "mở rộng", "đề nghị", "phân bổ", "hỗ trợ", "giao", "thông qua")


def _matter(subject: str) -> str:
    """"Về việc ban hành X" -> "việc ban hành X"; "Về việc dự toán Y" -> "dự toán Y"."""
    m = subject.removeprefix("Về việc ").removeprefix("Về ")
    m = _lower_first(m)
    return f"việc {m}" if m.startswith(_VERBS) else m


def _by_province(ctx: DocContext) -> bool:
    return ctx.issuing_unit.lower() == "ủy ban nhân dân tỉnh"


def _finish(doc: OfficialDocument, ctx: DocContext, filler: list, position: int) -> OfficialDocument:
    if ctx.pages is None:
        return doc
    return fit_to_pages(doc, ctx.pages, filler, position)


def _finish_multi(doc: OfficialDocument, ctx: DocContext, phases: list) -> OfficialDocument:
    if ctx.pages is None:
        return doc
    return fit_to_pages_multi(doc, ctx.pages, phases)


def _punct(items: list[str]) -> list[str]:
    """List items end with ";" and the last one with "."."""
    out = [x.rstrip(" ;.") for x in items]
    return [x + (";" if i < len(out) - 1 else ".") for i, x in enumerate(out)]


def _task_lists(themes: Sequence[Theme], f: dict[str, str], start: int) -> list[ItemList]:
    """One numbered list per theme, numbering continuing from ``start``."""
    out = []
    for t in themes:
        items = _punct([_fill(x, f) for x in t.tasks])
        out.append(ItemList(items, "1.", start=start))
        start += len(items)
    return out


def report(ctx: DocContext) -> OfficialDocument:
    """BÁO CÁO: results (I), shortcomings (II), tasks (III), proposals (IV)."""
    rng, year = _rng(ctx), _year(ctx)
    f = facts(rng, year)
    themes = _order_themes(rng, ctx.focus)
    base_n = max(1, min(2, len(ctx.focus)))
    body: list[Block] = [
        Paragraph(
            f"Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh, {ctx.issuing_unit} báo cáo "
            f"{_lower_first(ctx.subject)} với các nội dung như sau:"
        ),
        Heading("I. KẾT QUẢ ĐẠT ĐƯỢC"),
    ]
    tables = [table_indicators(rng, year), table_districts(rng), table_systems(rng)]
    rng.shuffle(tables)
    for i, t in enumerate(themes[:base_n]):
        body.append(Heading(f"{i + 1}. {t.title}", 2))
        body += [Paragraph(_fill(p, f)) for p in t.results]
        if i == 0:
            body.append(tables.pop())
    pos_results = len(body)
    body.append(Heading("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN"))
    for t in themes[:base_n]:
        body += [Paragraph(_fill(p, f)) for p in t.limits]
    pos_limits = len(body)
    body.append(Heading("III. NHIỆM VỤ, GIẢI PHÁP TRONG THỜI GIAN TỚI"))
    tasks = [_fill(x, f) for t in themes[:base_n] for x in t.tasks]
    body.append(ItemList(_punct(tasks), "1."))
    pos_tasks = len(body)
    doc = OfficialDocument(
        doc_type="BÁO CÁO",
        number=ctx.number,
        date=ctx.date,
        issuer=ctx.issuer or UBND,
        place=ctx.place,
        subject=ctx.subject,
        body=body,
        signatory=ctx.signatory,
        distribution=ctx.distribution or DIST_UBND,
        marking=ctx.marking,
        keywords="báo cáo; chính quyền điện tử; Quảng Bình",
    )

    def sub(t: Theme) -> Callable[[int], list[Block]]:
        return lambda k: [Heading(f"{base_n + k + 1}. {t.title}", 2)] + [
            Paragraph(_fill(p, f)) for p in t.results
        ]

    rest = themes[base_n:]
    phases = [
        (pos_results, [sub(t) for t in rest]),
        (pos_results, [[tb] for tb in tables]),
        (pos_limits, [[Paragraph(_fill(p, f)) for p in t.limits] for t in rest]),
        (pos_tasks, [[lst] for lst in _task_lists(rest, f, len(tasks) + 1)]),
    ]
    return _finish_multi(doc, ctx, phases)


def proposal(ctx: DocContext) -> OfficialDocument:
    """TỜ TRÌNH to the provincial People's Council."""
    rng, year = _rng(ctx), _year(ctx)
    f = facts(rng, year)
    themes = _order_themes(rng, ctx.focus)
    main = themes[0]
    bases = [LEGAL_BASES[0]] + sorted(rng.sample(LEGAL_BASES[1:], 3), key=LEGAL_BASES.index)
    body: list[Block] = [Paragraph(b, italic=True) for b in bases]
    council = _by_province(ctx)
    to_whom = "Hội đồng nhân dân tỉnh" if council else "Ủy ban nhân dân tỉnh"
    verb = "xem xét, quyết định"
    issuing = ctx.issuing_unit[:1].upper() + ctx.issuing_unit[1:]
    body.append(
        Paragraph(
            f"{issuing} kính trình {to_whom} {verb} {_matter(ctx.subject)} với những nội dung chủ yếu sau:"
        )
    )
    body.append(Heading("I. SỰ CẦN THIẾT"))
    body.append(Heading("1. Cơ sở pháp lý", 2))
    body.append(
        Paragraph(
            "Chương trình Chuyển đổi số quốc gia và các văn bản hướng dẫn của Chính phủ, các bộ, ngành "
            "đã xác định rõ mục tiêu xây dựng Chính phủ điện tử hướng tới Chính phủ số; yêu cầu các địa "
            "phương bố trí nguồn lực, ban hành cơ chế, chính sách phù hợp để triển khai. Nghị quyết Đại hội "
            "Đảng bộ tỉnh nhiệm kỳ 2025 - 2030 xác định chuyển đổi số là một trong các khâu đột phá."
        )
    )
    body.append(Heading("2. Cơ sở thực tiễn", 2))
    body += [Paragraph(_fill(p, f)) for p in main.results]
    body += [Paragraph(_fill(p, f)) for p in main.limits]
    pos_ctx = len(body)
    body.append(Heading("II. MỤC ĐÍCH, QUAN ĐIỂM XÂY DỰNG NGHỊ QUYẾT" if council else "II. MỤC ĐÍCH, YÊU CẦU"))
    body.append(
        ItemList(
            [
                "Cụ thể hóa chủ trương của Đảng, chính sách, pháp luật của Nhà nước về chuyển đổi số, xây dựng Chính quyền điện tử phù hợp với điều kiện thực tế của tỉnh;",
                "Bảo đảm tính khả thi, tiết kiệm, hiệu quả; ưu tiên các nhiệm vụ có tính dùng chung, liên thông;",
                "Lấy người dân, doanh nghiệp làm trung tâm; bảo đảm an toàn, an ninh thông tin.",
            ],
            "-",
        )
    )
    body.append(Heading("III. NỘI DUNG CHỦ YẾU CỦA DỰ THẢO NGHỊ QUYẾT" if council else "III. NỘI DUNG ĐỀ XUẤT"))
    body.append(ItemList(_punct([_fill(x, f) for x in main.tasks]), "1."))
    pos_tasks = len(body)
    body.append(Heading("IV. KINH PHÍ THỰC HIỆN"))
    budget_items = [t.title for t in themes[:3]]
    budget_items += ["Đào tạo, bồi dưỡng, tuyên truyền", "Quản lý, vận hành, bảo đảm an toàn thông tin"]
    body.append(table_budget(rng, budget_items, year))
    body.append(Heading("V. KIẾN NGHỊ"))
    body.append(
        Paragraph(
            f"{issuing} kính trình {to_whom} {verb}./."
            + (" (Kèm theo dự thảo Nghị quyết và các tài liệu liên quan)." if council else "")
        )
    )
    doc = OfficialDocument(
        doc_type="TỜ TRÌNH",
        number=ctx.number,
        date=ctx.date,
        issuer=ctx.issuer or UBND,
        place=ctx.place,
        subject=ctx.subject,
        recipients=[f"{to_whom[:1].upper()}{to_whom[1:]} Quảng Bình"],
        body=body,
        signatory=ctx.signatory,
        distribution=ctx.distribution or ["Như trên;", "TT Tỉnh ủy;", "Các Ban HĐND tỉnh;", "Chủ tịch, các PCT UBND tỉnh;", "Lưu: VT, TH."],
        marking=ctx.marking,
        keywords="tờ trình; chính quyền điện tử; Quảng Bình",
    )
    # Grow the practical grounds (I.2) first, then more points in III.
    grounds: list = [[Paragraph(_fill(p, f))] for t in themes[1:] for p in t.results]
    grounds += [[Paragraph(_fill(p, f))] for t in themes[1:] for p in t.limits]
    more_tasks = [[lst] for lst in _task_lists(themes[1:], f, len(main.tasks) + 1)]
    return _finish_multi(doc, ctx, [(pos_ctx, grounds), (pos_tasks, more_tasks)])


def draft_resolution(ctx: DocContext) -> OfficialDocument:
    """DỰ THẢO NGHỊ QUYẾT of the provincial People's Council (HĐND header)."""
    rng, year = _rng(ctx), _year(ctx)
    f = facts(rng, year)
    themes = _order_themes(rng, ctx.focus)
    body: list[Block] = [
        Paragraph("HỘI ĐỒNG NHÂN DÂN TỈNH QUẢNG BÌNH", bold=True, align="C"),
        Paragraph(f"KHÓA XIX, KỲ HỌP THỨ {rng.choice(['TƯ', 'NĂM', 'SÁU'])}", bold=True, align="C"),
    ]
    body += [Paragraph(b, italic=True) for b in [LEGAL_BASES[0]] + sorted(rng.sample(LEGAL_BASES[1:], 2), key=LEGAL_BASES.index)]
    body.append(
        Paragraph(
            f"Xét Tờ trình của Ủy ban nhân dân tỉnh; Báo cáo thẩm tra của Ban Kinh tế - Ngân sách "
            f"Hội đồng nhân dân tỉnh; ý kiến thảo luận của đại biểu Hội đồng nhân dân tỉnh tại kỳ họp.",
            italic=True,
        )
    )
    body.append(Paragraph("QUYẾT NGHỊ:", bold=True, align="C"))
    body.append(
        Paragraph(
            f"Nghị quyết này quy định {_lower_first(ctx.subject)}, gồm mục tiêu, nhiệm vụ, giải pháp "
            "chủ yếu, kinh phí và tổ chức thực hiện.",
            lead="Điều 1. Phạm vi điều chỉnh.",
        )
    )
    body.append(Paragraph("", lead="Điều 2. Mục tiêu đến năm 2030."))
    body.append(
        ItemList(
            [
                "100% văn bản trao đổi giữa các cơ quan nhà nước (trừ văn bản mật) dưới dạng điện tử, được ký số;",
                "100% Ủy ban nhân dân cấp xã có điểm cầu hội nghị trực tuyến kết nối với cấp huyện, cấp tỉnh;",
                "100% phiên họp của Ủy ban nhân dân tỉnh được tổ chức theo hình thức không giấy;",
                "Tối thiểu 80% hồ sơ thủ tục hành chính được tiếp nhận, giải quyết trực tuyến toàn trình.",
            ],
            "1.",
        )
    )
    body.append(Paragraph("", lead="Điều 3. Nhiệm vụ, giải pháp chủ yếu."))
    base_n = max(1, min(2, len(ctx.focus)))
    for i, t in enumerate(themes[:base_n]):
        body.append(Paragraph(f"{i + 1}. {t.title}:", indent=True))
        body.append(ItemList(_punct([_fill(x, f) for x in t.tasks]), "-"))
    pos = len(body)
    body.append(
        Paragraph(
            "Kinh phí thực hiện Nghị quyết được bố trí từ nguồn ngân sách nhà nước theo phân cấp, "
            "lồng ghép các chương trình, dự án và các nguồn vốn hợp pháp khác.",
            lead="Điều 4. Kinh phí thực hiện.",
        )
    )
    body.append(Paragraph("", lead="Điều 5. Tổ chức thực hiện."))
    body.append(
        ItemList(
            [
                "Giao Ủy ban nhân dân tỉnh tổ chức triển khai thực hiện Nghị quyết này.",
                "Giao Thường trực Hội đồng nhân dân tỉnh, các Ban của Hội đồng nhân dân tỉnh, các Tổ đại biểu và đại biểu Hội đồng nhân dân tỉnh giám sát việc thực hiện Nghị quyết.",
                f"Nghị quyết này đã được Hội đồng nhân dân tỉnh Quảng Bình thông qua và có hiệu lực từ ngày 01 tháng 01 năm {year + 1}./.",
            ],
            "1.",
        )
    )
    doc = OfficialDocument(
        doc_type="DỰ THẢO NGHỊ QUYẾT",
        number=ctx.number,
        date=ctx.date,
        draft_year=year,
        subject=ctx.subject,
        issuer=HDND,
        body=body,
        signatory=ctx.signatory or Signatory(["CHỦ TỊCH"]),
        distribution=ctx.distribution
        or ["UBTV Quốc hội, Chính phủ;", "TT Tỉnh ủy, TT HĐND tỉnh;", "UBND tỉnh;", "Đại biểu HĐND tỉnh;", "Lưu: VT."],
        marking=ctx.marking,
        author="HĐND tỉnh Quảng Bình (dự thảo do UBND tỉnh trình)",
        keywords="dự thảo nghị quyết; Quảng Bình",
    )

    def sub(t: Theme) -> Callable[[int], list[Block]]:
        return lambda k: [Paragraph(f"{base_n + k + 1}. {t.title}:"), ItemList(_punct([_fill(x, f) for x in t.tasks]), "-")]

    return _finish(doc, ctx, [sub(t) for t in themes[base_n:]], pos)


def draft_conclusion(ctx: DocContext) -> OfficialDocument:
    """DỰ THẢO KẾT LUẬN of the chair at a meeting: assessment, assignments, follow-up."""
    rng, year = _rng(ctx), _year(ctx)
    f = facts(rng, year)
    themes = _order_themes(rng, ctx.focus)
    when = ctx.meeting_date or ctx.date
    when_s = f"Ngày {when.day:02d} tháng {when.month:02d} năm {when.year}" if when else "Ngày    tháng    năm"
    chair = ctx.chair or "Chủ tịch Ủy ban nhân dân tỉnh"
    body: list[Block] = [
        Paragraph(
            f"{when_s}, tại {ctx.meeting_place or 'Trụ sở Ủy ban nhân dân tỉnh'}, đồng chí {chair}, Chủ tịch "
            f"Ủy ban nhân dân tỉnh chủ trì {_lower_first(ctx.meeting_title or 'cuộc họp')}. Tham dự cuộc họp có "
            "các đồng chí Phó Chủ tịch Ủy ban nhân dân tỉnh; thành viên Ban Chỉ đạo xây dựng Chính quyền điện tử "
            "tỉnh; lãnh đạo các sở, ban, ngành và Ủy ban nhân dân các huyện, thị xã, thành phố."
        ),
        Paragraph(
            "Sau khi nghe các cơ quan báo cáo và ý kiến phát biểu của các đại biểu dự họp, Chủ tịch "
            "Ủy ban nhân dân tỉnh kết luận như sau:"
        ),
        Heading("1. Đánh giá chung"),
        Paragraph(
            "Thời gian qua, các sở, ban, ngành, địa phương đã nỗ lực triển khai các nhiệm vụ xây dựng "
            "Chính quyền điện tử và đạt được nhiều kết quả quan trọng: hạ tầng viễn thông, Internet băng thông "
            "rộng đã đến 149/151 trung tâm xã, phường, thị trấn; các hệ thống dùng chung vận hành ổn định; việc "
            "gửi, nhận văn bản điện tử có ký số trở thành nền nếp; Hệ thống Phòng họp không giấy bước đầu phát "
            "huy hiệu quả."
        ),
        Paragraph(_fill(rng.choice(themes[0].limits), f)),
        Heading("2. Nhiệm vụ trong thời gian tới"),
        Paragraph(
            "Các sở, ngành, địa phương cần thực hiện đồng bộ các giải pháp thúc đẩy việc xây dựng Chính quyền "
            "điện tử nhằm đáp ứng yêu cầu, nhiệm vụ chính trị của tỉnh; khẩn trương ứng dụng phần mềm hội nghị "
            "trực tuyến; đẩy nhanh việc thực hiện ký số văn bản; phấn đấu sớm công bố Chính quyền điện tử Quảng "
            "Bình. Trong đó, giao nhiệm vụ cụ thể như sau:"
        ),
    ]
    letters = "abcdeghiklmnopqrstuvxy"
    # One assignment per lead agency, with the tasks of all its themes.
    by_unit: dict[str, list[Theme]] = {}
    for t in themes:
        by_unit.setdefault(t.unit, []).append(t)
    focus_units = list(dict.fromkeys(THEME_BY_KEY[k].unit for k in ctx.focus))
    units = focus_units + [u for u in by_unit if u not in focus_units]

    def assignment(unit: str, letter: str) -> list[Block]:
        ts = by_unit[unit][:2]
        topics = "; ".join(_lower_first(t.title) for t in ts)
        return [
            Paragraph(f"chủ trì, phối hợp với các cơ quan, đơn vị liên quan thực hiện ({topics}):", lead=f"{letter}) Giao {unit}"),
            ItemList(_punct([_fill(x, f) for t in ts for x in t.tasks]), "-"),
        ]

    base_n = 1
    body += assignment(units[0], letters[0])
    pos = len(body)
    body.append(Heading("3. Tổ chức thực hiện"))
    body.append(
        Paragraph(
            "Giao Văn phòng Ủy ban nhân dân tỉnh theo dõi, đôn đốc việc thực hiện; định kỳ hằng quý tổng hợp, "
            "báo cáo Chủ tịch Ủy ban nhân dân tỉnh kết quả thực hiện các nhiệm vụ được giao tại Kết luận này."
        )
    )
    body.append(Paragraph("Văn phòng Ủy ban nhân dân tỉnh thông báo để các cơ quan, đơn vị biết, thực hiện./."))
    doc = OfficialDocument(
        doc_type="DỰ THẢO KẾT LUẬN",
        number=ctx.number,
        date=ctx.date,
        issuer=ctx.issuer or UBND,
        place=ctx.place,
        draft_year=year,
        subject=ctx.subject,
        body=body,
        signatory=ctx.signatory or Signatory(["TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"]),
        distribution=ctx.distribution or DIST_UBND,
        marking=ctx.marking,
        keywords="kết luận; chính quyền điện tử; Quảng Bình",
    )

    filler = [(lambda k, u=u: assignment(u, letters[(base_n + k) % len(letters)])) for u in units[base_n:]]
    return _finish(doc, ctx, filler, pos)


BUILDERS: dict[str, Callable[[DocContext], OfficialDocument]] = {
    "report": report,
    "proposal": proposal,
    "draft_resolution": draft_resolution,
    "draft_conclusion": draft_conclusion,
}


def sample_document(
    kind: str = "report",
    *,
    seed: int | str = 0,
    pages: int | None = 3,
    date: dt.date | None = None,
    number: str | None = None,
    subject: str | None = None,
) -> OfficialDocument:
    """A ready document for tests: ``kind`` in :data:`BUILDERS`, exactly ``pages`` pages."""
    rng = random.Random(f"sample:{seed}")
    date = date or dt.date.today()
    focus = rng.sample([t.key for t in THEMES if "egov" in t.tags or "infra" in t.tags], 2)
    suffix = {"report": "BC-UBND", "proposal": "TTr-UBND", "draft_resolution": "NQ-HĐND", "draft_conclusion": "TB-UBND"}[kind]
    ctx = DocContext(
        number=number or (f"{rng.randint(100, 999)}/{suffix}" if kind in ("report", "proposal") else f"     /{suffix}"),
        date=date if kind in ("report", "proposal") else None,
        subject=subject or f"Về {_lower_first(THEME_BY_KEY[focus[0]].title)}",
        focus=focus,
        seed=seed,
        pages=pages,
        year=date.year,
        signatory=Signatory(["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], "Nguyễn Văn Mẫu") if kind in ("report", "proposal") else None,
    )
    return BUILDERS[kind](ctx)
