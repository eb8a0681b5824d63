"""Vocabulary for the demo committee: realistic Vietnamese names of people and of units."""

# Family names with rough national frequencies (per mille).
FAMILY_NAMES = [
    ("Nguyễn", 380), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Hoàng", 40), ("Vũ", 35),
    ("Phan", 35), ("Đặng", 21), ("Bùi", 20), ("Đỗ", 15), ("Hồ", 13), ("Ngô", 13), ("Dương", 10),
    ("Lý", 5), ("Đinh", 8), ("Trịnh", 7), ("Đào", 7), ("Mai", 5), ("Lương", 5), ("Tô", 4),
    ("Cao", 4), ("Quách", 2), ("Lưu", 3), ("Tạ", 3), ("Vương", 2), ("Đoàn", 5), ("Hà", 4),
]  # fmt: skip

MIDDLE_NAMES = {
    "M": ["Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Thanh", "Công", "Xuân", "Tiến",
          "Ngọc", "Mạnh", "Duy", "Trọng", "Quốc", "Anh", "Hoàng", "Đình", "Bá"],
    "F": ["Thị", "Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Minh", "Phương", "Thùy", "Hồng",
          "Kim", "Bích", "Thúy", "Mai", "Diệu", "Hải", "Quỳnh", "Lan", "Khánh"],
}  # fmt: skip

GIVEN_NAMES = {
    "M": ["Hùng", "Dũng", "Tuấn", "Nam", "Hải", "Long", "Thắng", "Quân", "Sơn", "Trung", "Cường",
          "Hiếu", "Khánh", "Phong", "Đạt", "Bình", "Hòa", "Thành", "Tùng", "Việt", "Huy", "Đức",
          "Tâm", "Kiên", "Hưng", "Lâm", "An", "Phúc", "Quang", "Vinh", "Toàn", "Thịnh", "Khoa",
          "Chiến", "Nghĩa", "Tú", "Hậu", "Lộc", "Ân", "Ước", "Đông", "Sang", "Minh Tuấn",
          "Anh Tuấn", "Quốc Bảo", "Hoàng Long"],
    "F": ["Hương", "Hường", "Lan", "Hoa", "Mai", "Linh", "Trang", "Hà", "Hạnh", "Thảo", "Ngọc",
          "Nga", "Loan", "Yến", "Phương", "Thủy", "Hằng", "Nhung", "Huyền", "Vân", "Dung", "Oanh",
          "Thúy", "Giang", "Anh", "Châu", "Diệp", "Quỳnh", "Hồng", "Ánh", "Ất", "Ly", "Xuân",
          "Ngọc Anh", "Thu Hà", "Minh Châu", "Bảo Ngọc"],
}  # fmt: skip

HOME_TOWNS = [
    "Hải Phòng", "Hải Dương", "Thái Bình", "Nam Định", "Hà Nội", "Hưng Yên", "Quảng Ninh",
    "Ninh Bình", "Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Bắc Ninh", "Vĩnh Phúc", "Phú Thọ",
]  # fmt: skip

ETHNICITIES = [("Kinh", 97), ("Tày", 1), ("Mường", 1), ("Hoa", 1)]

QUALIFICATIONS = [
    "Cử nhân Kinh tế", "Cử nhân Luật", "Thạc sĩ Quản lý công", "Kỹ sư Xây dựng", "Cử nhân Tài chính",
    "Thạc sĩ Kinh tế", "Cử nhân Hành chính", "Kỹ sư Công nghệ thông tin", "Bác sĩ", "Cử nhân Sư phạm",
    "Tiến sĩ Kinh tế", "Cử nhân Kế toán", "Cao đẳng", "Trung cấp",
]  # fmt: skip

LANGUAGES = ["Tiếng Anh B1", "Tiếng Anh B2", "Tiếng Anh C1", "Tiếng Pháp B1", "Tiếng Trung B1", ""]

OCCUPATIONS = ["Công chức", "Viên chức", "Người lao động hợp đồng"]

# Grassroots committees (đảng bộ cơ sở) of a city's agencies.
COMMITTEE_NAMES = [
    "Sở Tài chính", "Sở Xây dựng", "Sở Giao thông vận tải", "Sở Y tế", "Sở Giáo dục và Đào tạo",
    "Sở Công Thương", "Sở Nông nghiệp và Phát triển nông thôn", "Sở Tài nguyên và Môi trường",
    "Sở Kế hoạch và Đầu tư", "Sở Nội vụ", "Sở Tư pháp", "Sở Lao động - Thương binh và Xã hội",
    "Sở Văn hóa và Thể thao", "Sở Du lịch", "Sở Khoa học và Công nghệ", "Sở Thông tin và Truyền thông",
    "Văn phòng Ủy ban nhân dân thành phố", "Thanh tra thành phố", "Ban Quản lý Khu kinh tế",
    "Cục Thuế thành phố", "Cục Hải quan thành phố", "Kho bạc Nhà nước thành phố",
    "Bảo hiểm xã hội thành phố", "Cục Thống kê thành phố", "Đài Phát thanh và Truyền hình",
    "Báo Hải Phòng", "Trường Đại học Y Dược", "Bệnh viện Hữu nghị Việt Tiệp", "Bệnh viện Trẻ em",
    "Bệnh viện Kiến An", "Trường Cao đẳng Công nghiệp", "Ban Quản lý dự án đầu tư xây dựng công trình",
    "Cảng vụ Hàng hải", "Cục Quản lý thị trường", "Liên đoàn Lao động thành phố",
    "Thành đoàn", "Văn phòng Thành ủy", "Sở Ngoại vụ", "Ngân hàng Nhà nước chi nhánh thành phố",
    "Cục Thi hành án dân sự", "Trường Chính trị Tô Hiệu",
]  # fmt: skip

# Grassroots cells (chi bộ cơ sở).
CELL_ORG_NAMES = [
    "Ban Dân tộc", "Hội Nông dân thành phố", "Liên minh Hợp tác xã", "Hội Chữ thập đỏ",
    "Liên hiệp các Hội Khoa học và Kỹ thuật", "Hội Cựu chiến binh thành phố", "Hội Liên hiệp Phụ nữ",
    "Ủy ban Mặt trận Tổ quốc", "Hội Luật gia", "Hội Nhà báo", "Hội Văn học Nghệ thuật",
    "Quỹ Đầu tư phát triển", "Quỹ Bảo vệ môi trường", "Trung tâm Xúc tiến đầu tư",
    "Viện Nghiên cứu phát triển", "Trung tâm Lưu trữ lịch sử", "Nhà xuất bản Hải Phòng",
    "Hội Người mù", "Hội Đông y", "Liên hiệp các tổ chức hữu nghị", "Ban Bảo vệ sức khỏe cán bộ",
    "Trung tâm Dịch vụ việc làm", "Trung tâm Kiểm soát bệnh tật", "Trung tâm Pháp y",
    "Trung tâm Phục vụ hành chính công", "Ban Tôn giáo",
]  # fmt: skip

# Attached cells (chi bộ trực thuộc) inside an agency.
DEPARTMENT_NAMES = [
    "Văn phòng", "Phòng Kế hoạch - Tài chính", "Thanh tra", "Phòng Tổ chức cán bộ",
    "Phòng Pháp chế", "Phòng Quản lý ngân sách", "Phòng Tin học và Thống kê", "Phòng Tổng hợp",
    "Phòng Nghiệp vụ 1", "Phòng Nghiệp vụ 2", "Phòng Nghiệp vụ 3", "Phòng Quản lý giá",
    "Phòng Đầu tư", "Phòng Hành chính - Quản trị", "Trung tâm Dịch vụ", "Trung tâm Thông tin",
    "Phòng Kiểm tra", "Phòng Quản lý chất lượng", "Phòng Hợp tác quốc tế", "Ban Quản lý dự án",
    "Phòng Khoa học", "Phòng Công tác chính trị", "Khoa Nội", "Khoa Ngoại", "Khoa Khám bệnh",
    "Phòng Đào tạo", "Phòng Quản trị", "Đội Kiểm tra 1", "Đội Kiểm tra 2", "Chi cục Quản lý",
]  # fmt: skip

SUB_COMMITTEE_NAMES = ["Khối Văn phòng", "Các đơn vị sự nghiệp", "Khối Nghiệp vụ", "Các chi cục"]

# Committees outside our tree that members come from or go to.
OUTSIDE_COMMITTEES = [
    "Đảng bộ Sở Xây dựng tỉnh Hải Dương", "Đảng bộ Quận Hải An", "Đảng bộ Huyện Thủy Nguyên",
    "Đảng bộ Trường Đại học Hàng hải Việt Nam", "Đảng bộ Cục Hải quan thành phố", "Đảng bộ Công an thành phố",
    "Đảng bộ Quân sự thành phố", "Đảng bộ Bộ Tài chính", "Đảng bộ Tỉnh Quảng Ninh", "Đảng bộ Quận Lê Chân",
]  # fmt: skip
